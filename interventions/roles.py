"""What the domain's models grant to the three roles.

The roles themselves and ``sync_roles``, which gathers this declaration with every other
app's, are the project's (``healthplanner/roles.py``); they are importable from here too
(the data migration ``0002_roles`` and the partner scope use them).
"""
from healthplanner.roles import ANALYSTS, EDITORS, PARTNERS, model_permissions, sync_roles

__all__ = ["EDITORS", "ANALYSTS", "PARTNERS", "EDITABLE", "PARTNER_VIEW", "VIEW_ALL", "ROLE_PERMISSIONS", "sync_roles"]

# Models whose data Editors maintain (add, change, delete, view).
EDITABLE = [
    "community",
    "indicator",
    "indicatorvalue",
    "interventiontype",
    "partner",
    "partnermember",
    "intervention",
    "importbatch",
]
# What Partners may read: not import batches.
PARTNER_VIEW = ["community", "indicator", "indicatorvalue", "interventiontype", "partner", "intervention"]

# Roles that view every model of this app.
VIEW_ALL = [EDITORS, ANALYSTS]
ROLE_PERMISSIONS = {
    EDITORS: model_permissions(EDITABLE, ["add", "change", "delete", "view"]),
    ANALYSTS: [],
    PARTNERS: [
        *model_permissions(PARTNER_VIEW, ["view"]),
        # Through the API, and only for their own organisation (interventions/api/permissions.py).
        "add_intervention",
        "change_intervention",
    ],
}
