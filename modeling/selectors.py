"""Reads several callers share (HackSoft's selectors)."""
from django.db.models import Q

from interventions.partner_scope import is_partner_scoped, partner_of

from .models import Plan

__all__ = ["plan_list"]


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
