"""Who may have admin access: never a partner's account.

Partners work through the API, scoped to their own organisation. The admin is for the
directorate's staff (Editors, Analysts): an account that is in the Partners group or acts
for a partner organisation cannot also be staff. The admin's user and membership forms
call :func:`partner_admin_access_check` before saving; the system check
``interventions.W001`` (``interventions/checks.py``) reports accounts saved around it.
"""
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from ..models import PartnerMember
from ..roles import PARTNERS

__all__ = ["MSG_PARTNER_STAFF", "partner_admin_access_check", "partner_staff_users", "user_is_partner"]

MSG_PARTNER_STAFF = _(
    "A partner's account cannot have admin access: partners work through the API, with their own "
    "organisation's data only. Untick “Staff status”, or take the account out of the Partners group "
    "and its partner organisation first."
)


def user_is_partner(user, *, groups=None, has_partner: bool | None = None) -> bool:
    """True when ``user`` is in the Partners group or acts for a partner organisation.

    ``groups`` (names or groups) and ``has_partner`` stand for values a form is about to
    save; what is not given is read from the database."""
    if groups is None:
        in_partners = bool(user.pk) and user.groups.filter(name=PARTNERS).exists()
    else:
        in_partners = PARTNERS in {getattr(g, "name", g) for g in groups}
    if has_partner is None:
        has_partner = bool(user.pk) and PartnerMember.objects.filter(user_id=user.pk).exists()
    return in_partners or has_partner


def partner_admin_access_check(*, user, is_staff: bool | None = None, groups=None,
                               has_partner: bool | None = None) -> None:
    """Raise ``ValidationError`` (code ``partner_staff``) when saving ``user`` with these
    values would make a partner's account staff. Values not given are the user's own."""
    is_staff = user.is_staff if is_staff is None else is_staff
    if is_staff and user_is_partner(user, groups=groups, has_partner=has_partner):
        raise ValidationError(MSG_PARTNER_STAFF, code="partner_staff")


def partner_staff_users(*, using: str = "default") -> QuerySet:
    """Staff accounts that are also partners' (saved around the check)."""
    return (
        get_user_model().objects.using(using)
        .filter(is_staff=True)
        .filter(Q(groups__name=PARTNERS) | Q(partner_membership__isnull=False))
        .distinct()
        .order_by("username")
    )
