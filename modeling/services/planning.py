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
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from healthplanner.i18n import render
from interventions.choices import InterventionStatus
from interventions.models import Intervention, InterventionType
from interventions.partner_scope import is_partner_scoped, partner_of

from .. import keras_model
from ..messages import LOG_CONSTRAINED, LOG_PLAN_DONE, REASON
from ..models import CommunityScore, ModelStatus, ModelVersion, Plan, PlanItem, PlanStatus
from .allocation import Infeasible, allocate_constrained, segment_table
from .constraints import ConstraintError, constraint_groups, constraints_clean, infeasible_message
from .impact import AFFECTED_FRACTION, children_per_beneficiary, combined_reduction

__all__ = ["SEGMENTS", "budget_curve", "curve_multiples_clean", "plan_compute", "plan_create", "MSG_NO_ACTIVE_MODEL",
           "MSG_NO_SCORES", "MSG_NO_ORGANISATION", "ConstraintError", "NoOrganisation"]

SEGMENTS = 5
CONSTRAINED_DRAWS = 40  # resampling draws at most when each one is an LP
CENT = Decimal("0.01")
MSG_NO_ACTIVE_MODEL = _("There is no active model for %(target)s: train one first.")
MSG_NO_SCORES = _("Version %(id)s has no community scores in this region: score it first.")
MSG_NO_ORGANISATION = _("Your account is not linked to a partner organisation: ask the directorate to link it "
                        "before running scenarios.")
MSG_BAD_BUDGET = _("The budget must be a non-negative amount in soles.")
MSG_BAD_CURVE = _("Budget multiples for the curve: up to 12 numbers above 0 and at most 100, e.g. 0.25,0.5,1,2,4.")


def _problem(scores, types, max_coverage, equity_weight, indicator, delivered=None):
    """Pieces for every (community, type): their costs, coverage gains and values. Today's
    coverage is the score's (measured or the catalogue's default) plus the people partners
    already plan to reach or reach (``delivered``: (community id, type id) → beneficiaries)."""
    delivered = delivered or {}
    rows = []
    for s in scores:
        for t in types:
            info = s.interventions.get(t.code)
            if not info:
                continue
            rows.append((s, t, info["coverage_now"], info["beneficiary_pool"], info.get("coverage_source", "")))
    k = len(rows)
    pool = np.array([r[3] for r in rows], dtype=float)
    partners = np.array([delivered.get((r[0].community_id, r[1].pk), 0) for r in rows], dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        partner_share = np.where(pool > 0, partners / pool, 0.0)
    c0 = np.minimum(np.array([r[2] for r in rows], dtype=float) + partner_share, max_coverage) if k else np.zeros(0)
    unit = np.array([float(r[1].cost_per_beneficiary_pen) for r in rows])
    eff = np.array([float(r[1].effect_relative) for r in rows])
    af = np.array([AFFECTED_FRACTION.get(r[1].code, 1.0) for r in rows])
    population = np.array([r[0].target_population for r in rows], dtype=float)
    per = np.array([float(children_per_beneficiary(r[1].target_group, indicator, r[3], r[0].target_population))
                    for r in rows])
    spend, coverage = segment_table(c0, max_coverage, pool, unit, SEGMENTS) if k else (np.zeros((0, SEGMENTS)),) * 2
    piece_cost = np.diff(spend, axis=1, prepend=0.0)
    start = np.column_stack([c0, coverage[:, :-1]]) if k else np.zeros((0, SEGMENTS))
    gain = coverage - start
    # A piece that reaches less than one person is not for sale (all pieces of a curve
    # reach the same number of people).
    gain[gain * pool[:, None] < 1.0] = 0.0
    piece_cost[gain == 0] = 0.0
    poverty = np.array([(r[0].poverty or 0.0) / 100.0 for r in rows])
    weight = 1.0 + equity_weight * poverty
    # The small-area estimate (measurement and model combined) where the scores have one.
    prev, prev_lo, prev_hi = (np.array([_estimate(r[0]) for r in rows], dtype=float).reshape(-1, 3) / 100.0).T
    # Outcome children reached per unit of coverage gain; × effect × prevalence = cases.
    children_per_gain = pool * per
    cases_per_gain = af * eff * children_per_gain  # × prevalence gives cases averted per unit gain
    return dict(rows=rows, c0=c0, pool=pool, unit=unit, eff=eff, piece_cost=piece_cost, gain=gain,
                children_per_gain=children_per_gain, cases_per_gain=cases_per_gain, population=population,
                weight=weight, prev=prev, prev_lo=prev_lo, prev_hi=prev_hi)


def _estimate(score):
    """(estimate, lower, upper) of a score: the small-area estimate, or the model's where
    the score predates it."""
    if score.estimate is None:
        return score.predicted, score.lower, score.upper
    return score.estimate, score.estimate_lower, score.estimate_upper


def _values(p, prevalence):
    return (p["gain"] * (p["cases_per_gain"] * prevalence * p["weight"])[:, None]).ravel()


def whole_people(p, taken):
    """The one piece bought in part reaches whole people: its fraction is rounded down to
    the last whole beneficiary (the rest of the budget stays unspent)."""
    taken = taken.copy()
    partial = (taken > 0) & (taken < 1)
    people = p["gain"] * p["pool"][:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        taken[partial] = np.floor(taken[partial] * people[partial] + 1e-4) / people[partial]
    return taken


def selection_probability(inputs, budget, draws, seed):
    """Share of resampled predictions under which each (community, type) is still funded.

    Each draw takes every community's prevalence from a normal distribution matching its
    80% interval (σ = half-width / 1.2816), truncated at 0, and solves the plan again
    (under the same constraints).
    """
    _version, _types_, p = inputs
    k = len(p["rows"])
    if k == 0 or draws <= 0:
        return np.zeros(k)
    rng = np.random.default_rng(seed)
    codes = np.array([r[0].community_id for r in p["rows"]])
    uniq, inverse = np.unique(codes, return_inverse=True)
    first = np.array([np.flatnonzero(inverse == i)[0] for i in range(len(uniq))])
    sigma = (p["prev_hi"][first] - p["prev_lo"][first]) / (2 * keras_model.Z80)
    funded = np.zeros(k)
    for _draw in range(draws):
        prevalence = np.maximum(p["prev"][first] + sigma * rng.standard_normal(len(uniq)), 0.0)[inverse]
        funded += _solve_plan(inputs, budget, prevalence).sum(axis=1) > 0
    return funded / draws


@transaction.atomic
def plan_create(*, budget_pen, target: str = "stunting_u5_pct", region=None, intervention_types=None,
                equity_weight=1.0, max_coverage=0.9, name="", user=None, draws=200, seed=2024, constraints=None,
                curve_multiples=None, check=False) -> Plan:
    """A draft plan for the active model of ``target``; a partner's user's plan records its
    organisation (``NoOrganisation`` when the user acts for none). ``constraints`` are checked
    (``ConstraintError`` names a malformed one); with ``check`` the constraints are also
    solved once, so one that cannot be met is refused now rather than in the task."""
    partner = None
    if user is not None and is_partner_scoped(user):
        partner = partner_of(user)
        if partner is None:
            raise NoOrganisation(MSG_NO_ORGANISATION)
    version = ModelVersion.objects.filter(target__code=target, status=ModelStatus.ACTIVE).first()
    if version is None:
        raise ValueError(MSG_NO_ACTIVE_MODEL % {"target": target})
    multiples = curve_multiples_clean(curve_multiples)
    plan = Plan(name=name, budget_pen=Decimal(str(budget_pen)), region=region, equity_weight=equity_weight,
                max_coverage=max_coverage, created_by=user, model_version=version, draws=draws, seed=seed,
                curve_multiples=multiples, partner=partner)
    plan.full_clean()
    plan.save()
    if intervention_types:
        plan.intervention_types.set(intervention_types)
    plan.constraints = constraints_clean(constraints, type_codes={t.code for t in _types(plan, version)}).as_dict()
    plan.save(update_fields=["constraints"])
    if check and plan.constraints:
        inputs = _inputs(plan)
        _solve_plan(inputs, float(plan.budget_pen))
    return plan


class NoOrganisation(PermissionError):
    """A partner-scoped user linked to no organisation cannot own a plan."""


def curve_multiples_clean(value) -> list[float]:
    """Budget multiples for the curve: positive numbers, at most 12, sorted."""
    if value in (None, "", []):
        return []
    if isinstance(value, str):
        value = [v for v in value.split(",") if v.strip()]
    try:
        numbers = sorted({float(v) for v in value})
    except (TypeError, ValueError):
        raise ConstraintError(MSG_BAD_CURVE, field="curve_multiples") from None
    if not numbers or len(numbers) > 12 or any(not (0 < n <= 100) for n in numbers):
        raise ConstraintError(MSG_BAD_CURVE, field="curve_multiples")
    return numbers


def _types(plan, version):
    return list(plan.intervention_types.filter(indicator=version.target).order_by("code")) or list(
        InterventionType.objects.filter(indicator=version.target, is_active=True).order_by("code")
    )


def _inputs(plan):
    """Everything the optimiser needs for ``plan``: the problem, its constraint groups."""
    if plan.budget_pen is None or plan.budget_pen < 0:
        raise ValueError(MSG_BAD_BUDGET)
    version = plan.model_version or ModelVersion.objects.filter(status=ModelStatus.ACTIVE).first()
    if version is None:
        raise ValueError(MSG_NO_ACTIVE_MODEL % {"target": "—"})
    types = _types(plan, version)
    scores = CommunityScore.objects.filter(version=version).select_related("community").order_by("community__code")
    if plan.region_id:
        scores = scores.filter(community__code__startswith=plan.region.code)
    scores = list(scores)
    if not scores:
        raise ValueError(MSG_NO_SCORES % {"id": version.pk})
    deliveries = partner_deliveries(scores=scores, types=types)
    delivered = {key: sum(d["beneficiaries"] or 0 for d in rows) for key, rows in deliveries.items()}
    p = _problem(scores, types, plan.max_coverage, plan.equity_weight, version.target.code, delivered)
    p["deliveries"] = deliveries
    constraints = constraints_clean(plan.constraints, type_codes={t.code for t in types})
    p["groups_for"] = lambda budget: constraint_groups(
        constraints, rows=p["rows"], piece_cost=p["piece_cost"], gain=p["gain"], pool=p["pool"], budget=budget,
        segments=SEGMENTS)
    p["constrained"] = not constraints.empty
    return version, types, p


def partner_deliveries(*, scores, types) -> dict:
    """Partners' planned and active interventions of ``types`` in the scores' communities
    during the scores' year: (community id, type id) → [{partner, status, beneficiaries}]."""
    if not scores:
        return {}
    year = scores[0].year
    rows = (Intervention.objects
            .filter(status__in=[InterventionStatus.PLANNED, InterventionStatus.ACTIVE],
                    community_id__in=[s.community_id for s in scores], intervention_type__in=types,
                    start_date__year__lte=year)
            .filter(Q(end_date__isnull=True) | Q(end_date__year__gte=year))
            .select_related("partner").order_by("community_id", "intervention_type_id", "partner__name", "pk"))
    out = {}
    for row in rows:
        out.setdefault((row.community_id, row.intervention_type_id), []).append({
            "partner": row.partner.acronym or row.partner.name, "status": row.status,
            "beneficiaries": row.beneficiaries, "intervention": row.pk,
        })
    return out


def _solve_plan(inputs, budget, prevalence=None):
    """The pieces taken at ``budget``: the greedy without constraints, the LP with them."""
    _version, _types_, p = inputs
    values = _values(p, p["prev"] if prevalence is None else prevalence)
    k = len(p["rows"])
    try:
        taken = allocate_constrained(p["piece_cost"].ravel(), values, budget, p["groups_for"](budget))
    except Infeasible as exc:
        raise ConstraintError(infeasible_message(exc.group)) from None
    return taken.reshape(k, SEGMENTS)


def _totals(p, taken):
    """Cases averted (and their 80% interval) for an allocation: several lines in one
    community combine multiplicatively."""
    gain = (taken * p["gain"]).sum(axis=1)
    reduction = gain * p["cases_per_gain"] / np.maximum(p["population"], 1e-9)
    communities = np.array([r[0].community_id for r in p["rows"]])
    totals = np.zeros(3)
    for community in np.unique(communities[gain > 0]):
        rows = np.flatnonzero((communities == community) & (gain > 0))
        combined = float(combined_reduction(reduction[rows]))
        i = rows[0]
        totals += combined * p["population"][i] * np.array([p["prev"][i], p["prev_lo"][i], p["prev_hi"][i]])
    return totals


def budget_curve(inputs, budget, multiples):
    """What each multiple of the plan's budget buys (same problem, same constraints), at
    the optimiser's continuous optimum (people not rounded to whole ones, so the point at
    1× can differ from the plan's lines by less than one person per line). The
    equity-weighted objective is non-decreasing and concave in the budget (an LP's optimum
    in its right-hand side); cases averted are non-decreasing where the budget is the only
    constraint (more money takes a longer prefix of the same order)."""
    _version, _types_, p = inputs
    points = []
    for m in multiples:
        b = budget * m
        try:
            taken = _solve_plan(inputs, b)
        except ConstraintError:
            points.append({"multiple": m, "budget_pen": round(b, 2), "feasible": False})
            continue
        total, lo, hi = _totals(p, taken)
        points.append({
            "multiple": m, "budget_pen": round(b, 2), "feasible": True,
            "spent_pen": round(float((taken * p["piece_cost"]).sum()), 2),
            "cases_averted": round(float(total), 4), "cases_averted_lower": round(float(lo), 4),
            "cases_averted_upper": round(float(hi), 4),
            "equity_weighted": round(float((taken.ravel() * _values(p, p["prev"])).sum()), 4),
        })
    return points


@transaction.atomic
def plan_compute(*, plan: Plan, log=None) -> Plan:
    """Compute (or recompute) a plan's allocation; same inputs, same plan."""
    log = log or (lambda line: None)
    plan = Plan.objects.select_for_update().get(pk=plan.pk)
    inputs = _inputs(plan)
    version, types, p = inputs
    budget = float(plan.budget_pen)
    taken = whole_people(p, _solve_plan(inputs, budget))
    draws = plan.draws
    if p["constrained"] and draws > CONSTRAINED_DRAWS:
        # Each draw is a whole LP (1–2 s nationally): the selection probabilities of a
        # constrained plan come from fewer draws, and the log says so.
        draws = CONSTRAINED_DRAWS
        log(render(LOG_CONSTRAINED, {"draws": draws, "requested": plan.draws}))
    probability = selection_probability(inputs, budget, draws, plan.seed)
    spend = (taken * p["piece_cost"]).sum(axis=1)
    gain = (taken * p["gain"]).sum(axis=1)

    plan.items.all().delete()
    items, total_cost = [], Decimal("0")
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
        per_1000 = cases * p["prev"][i] / float(cost) * 1000 if cost > 0 else 0.0
        items.append(PlanItem(
            plan=plan, rank=rank, community=score.community, intervention_type=itype,
            beneficiaries=int(round(gain[i] * p["pool"][i])),
            children_reached=float(gain[i] * p["children_per_gain"][i]),
            coverage_source=p["rows"][i][4],
            already_covered_by=p["deliveries"].get((score.community_id, itype.pk), []),
            coverage_before=round(float(c0), 4), coverage_after=round(float(c0 + gain[i]), 4), cost_pen=cost,
            cases_averted=float(cases * p["prev"][i]), cases_averted_lower=float(cases * p["prev_lo"][i]),
            cases_averted_upper=float(cases * p["prev_hi"][i]), selection_probability=float(probability[i]),
            reason=render(REASON, {
                "community": score.community.name, "pred": p["prev"][i] * 100, "lo": p["prev_lo"][i] * 100,
                "hi": p["prev_hi"][i] * 100,
                "pov": score.poverty or 0.0, "per": per_1000, "prob": 100 * probability[i],
            }),
        ))
    PlanItem.objects.bulk_create(items)
    total, lo_total, hi_total = _totals(p, taken)
    plan.curve = budget_curve(inputs, budget, plan.curve_multiples or [])
    plan.model_version = version
    plan.fingerprint = version.fingerprint
    plan.catalogue = [
        {"code": t.code, "name": t.name, "name_es": t.name_es, "name_en": t.name_en,
         "indicator": version.target.code, "target_group": t.target_group,
         "cost_per_beneficiary_pen": str(t.cost_per_beneficiary_pen), "effect_relative": t.effect_relative,
         "affected_fraction": AFFECTED_FRACTION.get(t.code, 1.0), "evidence": t.evidence}
        for t in types
    ]
    plan.total_cost_pen = total_cost
    plan.total_cases_averted = round(float(total), 4)
    plan.cases_averted_lower = round(float(lo_total), 4)
    plan.cases_averted_upper = round(float(hi_total), 4)
    plan.objective = float((taken.ravel() * _values(p, p["prev"])).sum())
    plan.status = PlanStatus.COMPUTED
    plan.computed_at = timezone.now()
    plan.save()
    log(render(LOG_PLAN_DONE, {"plan": plan.pk, "lines": len(items), "cost": total_cost, "budget": plan.budget_pen,
                               "cases": plan.total_cases_averted, "lo": lo_total, "hi": hi_total}))
    return plan
