"""Reads several callers share (HackSoft's selectors)."""
from django.db.models import Q
from django.utils.translation import gettext as _

from healthplanner.health import CheckFailed
from interventions.partner_scope import is_partner_scoped, partner_of

from .models import ModelStatus, ModelVersion, Plan

__all__ = ["plan_list", "active_model_readiness"]


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
