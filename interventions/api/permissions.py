"""The domain's API permission rule: partner users only touch the interventions of their
own organisation (the rule itself is in ``interventions.services.interventions``). The
model-permission classes every endpoint uses are in ``healthplanner.api.permissions``.
"""
from django.utils.translation import gettext_lazy as _
from rest_framework import permissions

from ..partner_scope import is_partner_scoped, partner_of
from ..services.interventions import MSG_NOT_YOUR_PARTNER

__all__ = [
    "MSG_NOT_YOUR_PARTNER",
    "MSG_NO_PARTNER",
    "OwnPartnerInterventions",
]

MSG_NO_PARTNER = _(
    "Your account is not linked to a partner organisation: ask an administrator to add "
    "you to one before you create or change interventions."
)


class OwnPartnerInterventions(permissions.BasePermission):
    """Partner-scoped users write only interventions of the partner they belong to.

    The queryset already hides other partners' interventions from them (so those are
    404); this check refuses writes by a scoped user that belongs to no partner. The
    partner named in a request body is checked by ``intervention_create`` and
    ``intervention_update`` (``interventions.services.interventions``).
    """

    message = MSG_NO_PARTNER

    def has_permission(self, request, view):
        if request.method in permissions.SAFE_METHODS or not is_partner_scoped(request.user):
            return True
        return partner_of(request.user) is not None

    def has_object_permission(self, request, view, obj):
        if request.method in permissions.SAFE_METHODS or not is_partner_scoped(request.user):
            return True
        partner = partner_of(request.user)
        return partner is not None and obj.partner_id == partner.pk
