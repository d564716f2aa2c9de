"""The three roles and the permissions each one holds.

A data migration creates the groups; ``sync_roles`` runs again after every migrate so
that models added later (modeling, API) join the roles without a hand edit.
"""
from django.apps import apps as global_apps

EDITORS = "Editors"
ANALYSTS = "Analysts"
PARTNERS = "Partners"

# app label -> models whose data Editors maintain (add, change, delete, view).
EDITABLE = {
    "interventions": [
        "community",
        "indicator",
        "indicatorvalue",
        "interventiontype",
        "partner",
        "partnermember",
        "intervention",
        "importbatch",
    ],
}
# Apps whose every model Analysts may view.
VIEWABLE_APPS = ["interventions", "modeling"]
# Extra permissions by role: (app_label, codename). Later issues add theirs here.
EXTRA = {
    EDITORS: [],
    ANALYSTS: [
        # modeling (issue 4): train, score and plan with models; create and edit plans.
        ("modeling", "run_models"),
        ("modeling", "add_plan"),
        ("modeling", "change_plan"),
    ],
    # Through the API, and only for their own organisation (interventions/api/permissions.py).
    PARTNERS: [("interventions", "add_intervention"), ("interventions", "change_intervention")],
}
# What Partners may read.
PARTNER_VIEW = {
    "interventions": ["community", "indicator", "indicatorvalue", "interventiontype", "partner", "intervention"],
    # The API's model outputs (issue 5): versions with their metrics, scores, plans and their
    # lines, and what-if predictions (which need view_modelversion). Not task runs (internal
    # logs and tracebacks) nor import batches.
    "modeling": ["modelversion", "communityscore", "plan", "planitem"],
}


def _perms(Permission, app_label, models, actions):
    codenames = [f"{action}_{model}" for model in models for action in actions]
    return list(
        Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames)
    )


def sync_roles(apps=global_apps, **_kwargs):
    """Create the groups if missing and grant each one its permissions (idempotent)."""
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")

    editors, _ = Group.objects.get_or_create(name=EDITORS)
    analysts, _ = Group.objects.get_or_create(name=ANALYSTS)
    partners, _ = Group.objects.get_or_create(name=PARTNERS)

    editor_perms = []
    for app_label, models in EDITABLE.items():
        editor_perms += _perms(Permission, app_label, models, ["add", "change", "delete", "view"])
    analyst_perms = list(
        Permission.objects.filter(
            content_type__app_label__in=VIEWABLE_APPS, codename__startswith="view_"
        )
    )
    editor_perms += analyst_perms
    partner_perms = []
    for app_label, models in PARTNER_VIEW.items():
        partner_perms += _perms(Permission, app_label, models, ["view"])

    for group, perms in ((editors, editor_perms), (analysts, analyst_perms), (partners, partner_perms)):
        for app_label, codename in EXTRA[group.name]:
            perms += list(
                Permission.objects.filter(content_type__app_label=app_label, codename=codename)
            )
        group.permissions.add(*perms)
