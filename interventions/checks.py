"""System checks of the interventions app (registered in ``apps.py``)."""
from django.core import checks
from django.db import DatabaseError
from django.utils.translation import gettext as _

__all__ = ["partner_staff_accounts"]


@checks.register(checks.Tags.security, checks.Tags.database)
def partner_staff_accounts(app_configs=None, databases=None, **kwargs):
    """interventions.W001: partners' accounts that are staff (they would reach the admin).

    Like Django's own database checks it runs when a database is named: ``migrate`` does,
    and ``manage.py check --database default``."""
    if not databases:
        return []
    from .services.users import partner_staff_users

    warnings = []
    for alias in databases:
        try:
            names = list(partner_staff_users(using=alias).values_list("username", flat=True)[:21])
        except DatabaseError:  # not migrated yet
            continue
        if names:
            shown = ", ".join(names[:20]) + (", …" if len(names) > 20 else "")
            warnings.append(checks.Warning(
                _("Partners' accounts have admin access (staff status): %(users)s.") % {"users": shown},
                hint=_("Partners work through the API only: untick “Staff status” for these accounts, "
                       "or take them out of the Partners group and their partner organisation."),
                id="interventions.W001",
            ))
    return warnings
