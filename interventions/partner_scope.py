"""Which partner organisation a user acts for, and whether that limits what it may write.

A *partner-scoped* user (a member of a partner, or of the Partners group, and not a
superuser) reads and writes only the interventions of its own organisation; staff roles
(Editors, Analysts) are not scoped. A scoped user without a membership acts for no one.
"""
from .models import Partner, PartnerMember
from .roles import PARTNERS

__all__ = ["partner_of", "is_partner_scoped"]

_CACHE = "_healthplanner_partner_scope"


def _scope(user) -> tuple[bool, Partner | None]:
    cached = getattr(user, _CACHE, None)
    if cached is not None:
        return cached
    if not getattr(user, "is_authenticated", False) or user.is_superuser:
        scope = (False, None)
    else:
        member = PartnerMember.objects.select_related("partner").filter(user=user).first()
        partner = member.partner if member else None
        scoped = partner is not None or user.groups.filter(name=PARTNERS).exists()
        scope = (scoped, partner)
    setattr(user, _CACHE, scope)
    return scope


def partner_of(user) -> Partner | None:
    """The organisation the user acts for, or None."""
    return _scope(user)[1]


def is_partner_scoped(user) -> bool:
    """True when the user may act only on its own organisation's interventions."""
    return _scope(user)[0]
