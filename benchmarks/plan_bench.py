"""Planning benchmark (a script, not a timed test).

Over the active model's scores for every district × every intervention type acting on its
target, in this run: the greedy (the budget the only constraint), the same problem through
the LP (SciPy's HiGHS) with a constraint that binds nothing — the two optima must agree —
and the LP with the constraints a planner sets (a maximum share per type, a cap per
community, a minimum for one department).

    DATABASE_URL=postgres://... python benchmarks/plan_bench.py [--budget 5000000] [--repeat 3]

Needs a trained and scored model (``load_peru_data``, ``train_model``, ``score_communities``
for the real data; ``seed_demo`` and the same commands otherwise). Writes nothing.
"""
import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "healthplanner.settings")
os.environ.setdefault("DJANGO_DEBUG", "true")


def _best(repeat, fn):
    times, result = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=5_000_000)
    parser.add_argument("--target", default="stunting_u5_pct")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    import django

    django.setup()
    import numpy as np

    from modeling.models import ModelStatus, ModelVersion, Plan
    from modeling.services import planning
    from modeling.services.allocation import Group, allocate, allocate_constrained

    version = ModelVersion.objects.filter(target__code=args.target, status=ModelStatus.ACTIVE).first()
    if version is None:
        sys.exit(f"no active model for {args.target}: train and score one first")
    from django.db import transaction

    with transaction.atomic():  # the plan row the inputs need is rolled back: nothing is written
        plan = Plan.objects.create(budget_pen=args.budget, model_version=version, max_coverage=0.9,
                                   equity_weight=1.0)
        t = time.perf_counter()
        inputs = planning._inputs(plan)
        build = time.perf_counter() - t
        transaction.set_rollback(True)
    _version, types, p = inputs
    costs, values = p["piece_cost"].ravel(), planning._values(p, p["prev"])
    n_curves, n_pieces = len(p["rows"]), len(costs)
    print(f"problem: {len({r[0].community_id for r in p['rows']})} communities × {len(types)} types = {n_curves} "
          f"curves, {n_pieces} pieces; built in {build:.2f} s (scores, partners' deliveries, pieces)")

    greedy_s, greedy = _best(args.repeat, lambda: allocate(costs, values, args.budget))
    loose = [Group(name="community_cap", pieces=np.arange(n_pieces), high=float(costs.sum()) + 1.0)]
    lp_s, lp = _best(args.repeat, lambda: allocate_constrained(costs, values, args.budget, loose))
    g_obj, l_obj = float((greedy * values).sum()), float((lp * values).sum())
    print(f"greedy:                      {greedy_s * 1000:8.1f} ms  objective {g_obj:,.3f}")
    print(f"LP, same problem (HiGHS):    {lp_s * 1000:8.1f} ms  objective {l_obj:,.3f}  "
          f"(relative difference {abs(l_obj - g_obj) / max(g_obj, 1e-12):.1e}; ×{lp_s / greedy_s:,.0f} the greedy)")

    codes = [t.code for t in types]
    busiest = max({r[0].community.code[:2] for r in p["rows"]},
                  key=lambda d: sum(1 for r in p["rows"] if r[0].community.code[:2] == d))
    from modeling.services.constraints import constraint_groups, constraints_clean

    constraints = constraints_clean({
        "type_share": {code: {"max": 0.35} for code in codes},
        "community_cap_pen": args.budget / 100,
        "department": {busiest: {"min_pen": args.budget / 10}},
    }, type_codes=set(codes))
    groups = constraint_groups(constraints, rows=p["rows"], piece_cost=p["piece_cost"], gain=p["gain"],
                               pool=p["pool"], budget=args.budget, segments=planning.SEGMENTS)
    constrained_s, constrained = _best(args.repeat, lambda: allocate_constrained(costs, values, args.budget, groups))
    c_obj = float((constrained * values).sum())
    print(f"LP with {len(groups)} constraint rows (max 35% per type, cap {args.budget / 100:,.0f} PEN per community, "
          f"≥ {args.budget / 10:,.0f} PEN in department {busiest}): {constrained_s * 1000:8.1f} ms  "
          f"objective {c_obj:,.3f} ({c_obj / g_obj:.1%} of the unconstrained optimum)")


if __name__ == "__main__":
    main()
