"""Reads several callers share (HackSoft's selectors)."""
from django.db.models import Q

from interventions.models import Community, InterventionType
from interventions.partner_scope import is_partner_scoped, partner_of

from .models import Plan, PlanItem

__all__ = ["plan_list", "plan_line_list", "plan_line_choices"]


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
