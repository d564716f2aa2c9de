"""Writing partners' interventions: the rule that a partner-scoped user writes only its own
organisation's interventions lives here, for every caller."""
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from ..models import Intervention
from ..partner_scope import is_partner_scoped, partner_of

__all__ = [
    "MSG_NOT_YOUR_PARTNER",
    "NotYourPartner",
    "intervention_create",
    "intervention_update",
]

MSG_NOT_YOUR_PARTNER = _(
    "You act for %(own)s: you can only create or change interventions of your own organisation."
)


class NotYourPartner(Exception):
    """A partner-scoped user named another organisation's intervention."""

    def __init__(self, *, own):
        self.message = MSG_NOT_YOUR_PARTNER % {"own": own}
        super().__init__(str(self.message))


def _check_partner(*, user, partner) -> None:
    if partner is not None and is_partner_scoped(user) and partner != partner_of(user):
        raise NotYourPartner(own=partner_of(user))


def intervention_create(*, user, data: dict) -> Intervention:
    """Create an intervention from validated data (the API serializer has already run the
    model's ``full_clean``). Raises :class:`NotYourPartner` for another organisation."""
    _check_partner(user=user, partner=data.get("partner"))
    with transaction.atomic():
        return Intervention.objects.create(**data)


def intervention_update(*, user, intervention: Intervention, data: dict) -> Intervention:
    """Change an intervention with validated data. Raises :class:`NotYourPartner` when a
    partner-scoped user names another organisation."""
    _check_partner(user=user, partner=data.get("partner"))
    with transaction.atomic():
        for field, value in data.items():
            setattr(intervention, field, value)
        intervention.save()
    return intervention
