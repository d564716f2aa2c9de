"""Budget plans: the allocation that maximises equity-weighted expected cases averted.

Coverage saturates with spending as Optima Nutrition's cost-coverage curves do: spending
``s`` on an intervention in a community lifts coverage from ``c0`` towards the maximum
``cmax`` as ``c(s) = c0 + (cmax − c0)(1 − exp(−s / S))``, with ``S = (cmax − c0) × pool ×
unit cost`` (so the first sol buys coverage at the catalogue's unit cost and later ones
buy less). Cases averted are linear in coverage (LiST), hence concave in spending.

The curve is cut into ``SEGMENTS`` pieces of equal coverage up to 95% of the gap; each
piece is a (cost, value) pair whose value per sol decreases along the curve. The problem
``max Σ value·x  s.t.  Σ cost·x ≤ budget, 0 ≤ x ≤ 1`` is a fractional knapsack; taking
pieces in decreasing value per sol (ties broken by community, type, piece) and a fraction
of the first piece that does not fit is optimal (the classical exchange argument: any
feasible solution can move money from a lower-ratio piece to a higher-ratio one without
losing value). Because pieces of one curve have strictly decreasing ratios, the greedy
order fills each curve from its start, so every solution is a valid spending level.
More budget takes a longer prefix of the same order, so it never averts fewer cases.

The objective counts each line's LiST reduction on its own; the plan's total also
reports the multiplicative combination (what LiST gives when several lines share a
community), which is never larger.
"""
from decimal import ROUND_DOWN, Decimal

import numpy as np
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from interventions.models import InterventionType

from .. import keras_model
from ..models import CommunityScore, ModelStatus, ModelVersion, Plan, PlanItem, PlanStatus
from .impact import AFFECTED_FRACTION, children_per_beneficiary, combined_reduction

__all__ = ["SEGMENTS", "allocate", "plan_compute", "plan_create", "MSG_NO_ACTIVE_MODEL", "MSG_NO_SCORES"]

SEGMENTS = 5
REACH = 0.95  # the curve is followed up to 95% of the gap to the maximum coverage
CENT = Decimal("0.01")
MSG_NO_ACTIVE_MODEL = _("There is no active model for %(target)s: train one first.")
MSG_NO_SCORES = _("Version %(id)s has no community scores in this region: score it first.")
MSG_BAD_BUDGET = _("The budget must be a non-negative amount in soles.")


def segment_table(c0, cmax, pool, unit_cost, segments=SEGMENTS):
    """Per curve: cumulative spending and coverage at each segment's end, shape (k, segments)."""
    c0, pool, unit_cost = (np.asarray(a, dtype=float) for a in (c0, pool, unit_cost))
    gap = np.maximum(cmax - c0, 0.0)
    scale = gap * pool * unit_cost
    fractions = REACH * np.arange(1, segments + 1) / segments
    coverage = c0[:, None] + gap[:, None] * fractions[None, :]
    spend = -scale[:, None] * np.log1p(-fractions)[None, :]
    return spend, coverage


def allocate(costs, values, budget):
    """Greedy fractional knapsack over pieces; returns the fraction taken of each piece.

    ``costs`` and ``values`` are 1-D; the order is by value per sol, then by index, so
    the result is deterministic. Pieces with no value or no cost are never bought.
    """
    costs = np.asarray(costs, dtype=float)
    values = np.asarray(values, dtype=float)
    taken = np.zeros(len(costs))
    if budget <= 0 or len(costs) == 0:
        return taken
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        ratio = np.where((costs > 0) & (values > 0), values / costs, -1.0)
    order = np.lexsort((np.arange(len(costs)), -ratio))
    order = order[ratio[order] > 0]
    cumulative = np.cumsum(costs[order])
    full = cumulative <= budget
    taken[order[full]] = 1.0
    n_full = int(full.sum())
    if n_full < len(order):
        left = budget - (cumulative[n_full - 1] if n_full else 0.0)
        nxt = order[n_full]
        taken[nxt] = max(0.0, min(1.0, left / costs[nxt]))
    return taken


def _problem(scores, types, max_coverage, equity_weight, indicator):
    """Pieces for every (community, type): their costs, coverage gains and values."""
    rows = []
    for s in scores:
        for t in types:
            info = s.interventions.get(t.code)
            if not info:
                continue
            rows.append((s, t, info["coverage_now"], info["beneficiary_pool"]))
    k = len(rows)
    c0 = np.array([min(r[2], max_coverage) for r in rows])
    pool = np.array([r[3] for r in rows], dtype=float)
    unit = np.array([float(r[1].cost_per_beneficiary_pen) for r in rows])
    eff = np.array([float(r[1].effect_relative) for r in rows])
    af = np.array([AFFECTED_FRACTION.get(r[1].code, 1.0) for r in rows])
    population = np.array([r[0].target_population for r in rows], dtype=float)
    per = np.array([float(children_per_beneficiary(r[1].target_group, indicator, r[3], r[0].target_population))
                    for r in rows])
    spend, coverage = segment_table(c0, max_coverage, pool, unit) if k else (np.zeros((0, SEGMENTS)),) * 2
    piece_cost = np.diff(spend, axis=1, prepend=0.0)
    start = np.column_stack([c0, coverage[:, :-1]]) if k else np.zeros((0, SEGMENTS))
    gain = coverage - start
    # A piece that reaches less than one person is not for sale (all pieces of a curve
    # reach the same number of people).
    gain[gain * pool[:, None] < 1.0] = 0.0
    poverty = np.array([(r[0].poverty or 0.0) / 100.0 for r in rows])
    weight = 1.0 + equity_weight * poverty
    prev = np.array([r[0].predicted for r in rows]) / 100.0
    prev_lo = np.array([r[0].lower for r in rows]) / 100.0
    prev_hi = np.array([r[0].upper for r in rows]) / 100.0
    # Outcome children reached per unit of coverage gain; × effect × prevalence = cases.
    children_per_gain = pool * per
    cases_per_gain = af * eff * children_per_gain  # × prevalence gives cases averted per unit gain
    return dict(rows=rows, c0=c0, pool=pool, unit=unit, eff=eff, piece_cost=piece_cost, gain=gain,
                children_per_gain=children_per_gain, cases_per_gain=cases_per_gain, population=population,
                weight=weight, prev=prev, prev_lo=prev_lo, prev_hi=prev_hi)


def _values(p, prevalence):
    return (p["gain"] * (p["cases_per_gain"] * prevalence * p["weight"])[:, None]).ravel()


def whole_people(p, taken):
    """The one piece bought in part reaches whole people: its fraction is rounded down to
    the last whole beneficiary (the rest of the budget stays unspent)."""
    taken = taken.copy()
    partial = (taken > 0) & (taken < 1)
    people = p["gain"] * p["pool"][:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        taken[partial] = np.floor(taken[partial] * people[partial] + 1e-9) / people[partial]
    return taken


def selection_probability(p, budget, draws, seed):
    """Share of resampled predictions under which each (community, type) is still funded.

    Each draw takes every community's prevalence from a normal distribution matching its
    80% interval (σ = half-width / 1.2816), truncated at 0, and solves the plan again.
    """
    k = len(p["rows"])
    if k == 0 or draws <= 0:
        return np.zeros(k)
    rng = np.random.default_rng(seed)
    codes = np.array([r[0].community_id for r in p["rows"]])
    uniq, inverse = np.unique(codes, return_inverse=True)
    first = np.array([np.flatnonzero(inverse == i)[0] for i in range(len(uniq))])
    sigma = (p["prev_hi"][first] - p["prev_lo"][first]) / (2 * keras_model.Z80)
    costs = p["piece_cost"].ravel()
    funded = np.zeros(k)
    for _draw in range(draws):
        prevalence = np.maximum(p["prev"][first] + sigma * rng.standard_normal(len(uniq)), 0.0)[inverse]
        taken = allocate(costs, _values(p, prevalence), budget).reshape(k, SEGMENTS)
        funded += taken.sum(axis=1) > 0
    return funded / draws


@transaction.atomic
def plan_create(*, budget_pen, target: str = "stunting_u5_pct", region=None, intervention_types=None,
                equity_weight=1.0, max_coverage=0.9, name="", user=None, draws=200, seed=2024) -> Plan:
    version = ModelVersion.objects.filter(target__code=target, status=ModelStatus.ACTIVE).first()
    if version is None:
        raise ValueError(MSG_NO_ACTIVE_MODEL % {"target": target})
    plan = Plan(name=name, budget_pen=Decimal(str(budget_pen)), region=region, equity_weight=equity_weight,
                max_coverage=max_coverage, created_by=user, model_version=version, draws=draws, seed=seed)
    plan.full_clean()
    plan.save()
    if intervention_types:
        plan.intervention_types.set(intervention_types)
    return plan


@transaction.atomic
def plan_compute(*, plan: Plan, log=None) -> Plan:
    """Compute (or recompute) a plan's allocation; same inputs, same plan."""
    log = log or (lambda line: None)
    plan = Plan.objects.select_for_update().get(pk=plan.pk)
    if plan.budget_pen is None or plan.budget_pen < 0:
        raise ValueError(MSG_BAD_BUDGET)
    version = plan.model_version or ModelVersion.objects.filter(status=ModelStatus.ACTIVE).first()
    if version is None:
        raise ValueError(MSG_NO_ACTIVE_MODEL % {"target": "—"})
    types = list(plan.intervention_types.filter(indicator=version.target).order_by("code")) or list(
        InterventionType.objects.filter(indicator=version.target, is_active=True).order_by("code")
    )
    scores = CommunityScore.objects.filter(version=version).select_related("community").order_by("community__code")
    if plan.region_id:
        scores = scores.filter(community__code__startswith=plan.region.code)
    scores = list(scores)
    if not scores:
        raise ValueError(MSG_NO_SCORES % {"id": version.pk})
    budget = float(plan.budget_pen)
    p = _problem(scores, types, plan.max_coverage, plan.equity_weight, version.target.code)
    k = len(p["rows"])
    taken = whole_people(p, allocate(p["piece_cost"].ravel(), _values(p, p["prev"]), budget).reshape(k, SEGMENTS))
    probability = selection_probability(p, budget, plan.draws, plan.seed)
    spend = (taken * p["piece_cost"]).sum(axis=1)
    gain = (taken * p["gain"]).sum(axis=1)

    plan.items.all().delete()
    items, total_cost = [], Decimal("0")
    reductions = {}
    selected = np.flatnonzero(spend > 0)
    value = gain * p["cases_per_gain"] * p["prev"] * p["weight"]
    order = selected[np.lexsort((selected, -value[selected]))]
    for rank, i in enumerate(order, start=1):
        score, itype = p["rows"][i][0], p["rows"][i][1]
        cost = Decimal(float(spend[i])).quantize(CENT, rounding=ROUND_DOWN)
        if total_cost + cost > plan.budget_pen:
            cost = plan.budget_pen - total_cost
        total_cost += cost
        cases = gain[i] * p["cases_per_gain"][i]
        c0 = p["c0"][i]
        reduction = cases / max(score.target_population, 1e-9)
        reductions.setdefault(score.community_id, []).append((reduction, score))
        per_1000 = cases * p["prev"][i] / float(cost) * 1000 if cost > 0 else 0.0
        items.append(PlanItem(
            plan=plan, rank=rank, community=score.community, intervention_type=itype,
            beneficiaries=int(round(gain[i] * p["pool"][i])),
            children_reached=float(gain[i] * p["children_per_gain"][i]),
            coverage_before=round(float(c0), 4), coverage_after=round(float(c0 + gain[i]), 4), cost_pen=cost,
            cases_averted=float(cases * p["prev"][i]), cases_averted_lower=float(cases * p["prev_lo"][i]),
            cases_averted_upper=float(cases * p["prev_hi"][i]), selection_probability=float(probability[i]),
            reason=_g(
                "%(community)s: predicted %(pred).1f%% (80%%: %(lo).1f–%(hi).1f), poverty %(pov).0f%%; "
                "%(per).2f cases averted per 1,000 PEN; funded in %(prob).0f%% of resampled predictions."
            ) % {
                "community": score.community.name, "pred": score.predicted, "lo": score.lower, "hi": score.upper,
                "pov": score.poverty or 0.0, "per": per_1000, "prob": 100 * probability[i],
            },
        ))
    PlanItem.objects.bulk_create(items)
    # The plan's total: several lines in one community combine multiplicatively (LiST).
    total = lo_total = hi_total = 0.0
    for _community, parts in reductions.items():
        score = parts[0][1]
        combined = float(combined_reduction([r for r, _s in parts]))
        total += combined * score.predicted / 100.0 * score.target_population
        lo_total += combined * score.lower / 100.0 * score.target_population
        hi_total += combined * score.upper / 100.0 * score.target_population
    plan.model_version = version
    plan.fingerprint = version.fingerprint
    plan.catalogue = [
        {"code": t.code, "name": t.name, "indicator": version.target.code, "target_group": t.target_group,
         "cost_per_beneficiary_pen": str(t.cost_per_beneficiary_pen), "effect_relative": t.effect_relative,
         "affected_fraction": AFFECTED_FRACTION.get(t.code, 1.0), "evidence": t.evidence}
        for t in types
    ]
    plan.total_cost_pen = total_cost
    plan.total_cases_averted = round(total, 4)
    plan.cases_averted_lower = round(lo_total, 4)
    plan.cases_averted_upper = round(hi_total, 4)
    plan.objective = float((taken.ravel() * _values(p, p["prev"])).sum())
    plan.status = PlanStatus.COMPUTED
    plan.computed_at = timezone.now()
    plan.save()
    log(f"plan {plan.pk}: {len(items)} lines, {total_cost} PEN of {plan.budget_pen}, "
        f"{plan.total_cases_averted:.1f} cases averted (80%: {lo_total:.1f}–{hi_total:.1f})")
    return plan
