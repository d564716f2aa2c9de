"""Reads several callers share (HackSoft's selectors)."""
from dataclasses import dataclass, field

from django.db.models import Case, Q, When
from django.utils.translation import gettext as _

from healthplanner.health import CheckFailed
from interventions.choices import Level
from interventions.models import Community, IndicatorValue, Intervention, InterventionType
from interventions.partner_scope import is_partner_scoped, partner_of
from interventions.selectors import intervention_list

from .models import CommunityScore, ModelStatus, ModelVersion, Plan, PlanItem
from .services.scoring import PRIORITY_WEIGHTS

__all__ = [
    "DistrictProfile", "ScoreRank", "community_latest_score", "district_profile", "plan_line_choices",
    "plan_line_list", "plan_list", "active_model_readiness",
]


def active_model_readiness() -> str:
    """The readiness check ``/readyz`` runs: an active model version exists (scores,
    priorities and plans need one). Raises CheckFailed otherwise."""
    active = list(ModelVersion.objects.filter(status=ModelStatus.ACTIVE).values_list("target__code", "pk"))
    if not active:
        raise CheckFailed(_("No model version is active: train one and activate it."))
    return ", ".join(f"{code} #{pk}" for code, pk in active)


def plan_list(*, user, queryset=None):
    """The plans ``user`` may see: staff see all; a partner's user sees its own
    organisation's scenarios and the directorate's plans (no partner), never another
    partner's."""
    queryset = Plan.objects.all() if queryset is None else queryset
    if not is_partner_scoped(user):
        return queryset
    partner = partner_of(user)
    mine = Q(partner=partner) if partner is not None else Q(pk__in=[])
    return queryset.filter(mine | Q(partner__isnull=True))


@dataclass
class ScoreRank:
    """A community's score under one model version and where it ranks."""

    score: CommunityScore
    rank_country: int
    of_country: int
    rank_department: int | None
    of_department: int | None
    weights: dict = field(default_factory=dict)
    department: Community | None = None
    best_type: InterventionType | None = None   # the most cost-effective type here
    best_ratio: float | None = None             # its cases averted per S/ 1,000


    @property
    def weights_total(self) -> float:
        return sum(self.weights.values())


@dataclass
class DistrictProfile:
    community: Community
    indicators: list[dict]          # one per (indicator, source): years → value
    years: list[int]
    score: ScoreRank | None
    plan_items: list[PlanItem]
    interventions: list[Intervention]


def community_latest_score(*, community: Community) -> ScoreRank | None:
    """The community's score under the active model version that scored it (else the newest
    version that did), with its rank by priority in its department and in Peru (among the
    communities that version scored; 1 is the highest priority)."""
    score = (
        CommunityScore.objects.filter(community=community)
        .select_related("version__target")
        .order_by(
            Case(When(version__status=ModelStatus.ACTIVE, then=0), default=1),
            "-version__created_at", "-version_id",
        )
        .first()
    )
    if score is None:
        return None
    same_version = CommunityScore.objects.filter(version=score.version_id)
    above = same_version.filter(priority__gt=score.priority)
    department = community.department_code
    rank_department = of_department = None
    if department and community.level != Level.DEPARTMENT:
        in_department = Q(community__code__startswith=department)
        rank_department = above.filter(in_department).count() + 1
        of_department = same_version.filter(in_department).count()
    best_code, best_ratio = None, None
    for code, detail in (score.interventions or {}).items():
        if code.startswith("_") or not detail.get("cost_pen"):
            continue
        ratio = detail["cases_averted"] / detail["cost_pen"] * 1000.0
        if best_ratio is None or ratio > best_ratio:
            best_code, best_ratio = code, ratio
    return ScoreRank(score=score, rank_country=above.count() + 1, of_country=same_version.count(),
                     rank_department=rank_department, of_department=of_department,
                     weights=dict(PRIORITY_WEIGHTS),
                     department=Community.objects.filter(code=department).first() if department else None,
                     best_type=InterventionType.objects.filter(code=best_code).first() if best_code else None,
                     best_ratio=best_ratio)


def district_profile(*, community: Community, user, max_lines: int = 50) -> DistrictProfile:
    """What a planner reads about one community: its indicator values by year (one row per
    indicator and source), its latest score and rank, the plan lines there (in the plans
    ``user`` may see) and the partners' interventions there (those ``user`` may see)."""
    values = (
        IndicatorValue.objects.filter(community=community)
        .select_related("indicator")
        .order_by("indicator__code", "source", "year")
    )
    rows: dict[tuple[str, str], dict] = {}
    years: set[int] = set()
    for v in values:
        row = rows.setdefault((v.indicator.code, v.source), {
            "indicator": v.indicator, "source": v.source, "values": {}})
        row["values"][v.year] = v
        years.add(v.year)
    items = (
        PlanItem.objects.filter(community=community, plan__in=plan_list(user=user))
        .select_related("plan", "intervention_type")
        .order_by("-plan__created_at", "-plan_id", "rank")[:max_lines]
    )
    interventions = (
        intervention_list(user=user, queryset=Intervention.objects.filter(community=community))
        .select_related("partner", "intervention_type")
        .order_by("-start_date", "-id")
    )
    return DistrictProfile(
        community=community, indicators=list(rows.values()), years=sorted(years),
        score=community_latest_score(community=community), plan_items=list(items),
        interventions=list(interventions),
    )
def plan_line_list(*, plan, department: str | None = None, intervention_type: str | None = None):
    """A plan's lines by rank, with their community and type; ``department`` (two-digit
    UBIGEO code) and ``intervention_type`` (its code) narrow them (the admin's plan page,
    the report and the API's lines all read them here)."""
    queryset = PlanItem.objects.filter(plan=plan).select_related("community", "intervention_type").order_by("rank")
    if department:
        queryset = queryset.filter(community__code__startswith=department)
    if intervention_type:
        queryset = queryset.filter(intervention_type__code=intervention_type)
    return queryset


def plan_line_choices(*, plan) -> dict:
    """The departments and intervention types a plan's lines touch, for its filters:
    ``{"departments": [(code, name)], "types": [(code, name)]}``."""
    lines = PlanItem.objects.filter(plan=plan)
    codes = sorted({code[:2] for code in lines.values_list("community__code", flat=True)})
    names = dict(Community.objects.filter(code__in=codes).values_list("code", "name"))
    types = InterventionType.objects.filter(pk__in=lines.values("intervention_type_id")).order_by("code")
    return {"departments": [(code, names.get(code, code)) for code in codes],
            "types": [(t.code, t.name) for t in types]}
