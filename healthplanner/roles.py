"""The three roles and how they get their permissions.

The groups are the project's; the permissions belong to the apps. Every installed app may
declare, in its own ``roles.py``, what its models grant to each role:

``VIEW_ALL``
    the roles that may view every model of the app (every ``view_*`` permission of the
    app, so models added later join without a hand edit);
``ROLE_PERMISSIONS``
    role -> codenames of the app's own permissions (``add_plan``, ``run_models``).

``sync_roles`` gathers the declarations of every installed app through the app registry,
creates the groups if missing and grants each one its permissions. A data migration
(``interventions/0002_roles``) runs it first; it runs again after every migrate (see
``apps.py``). An app names only its own permissions, so no app has to know another.
"""
import importlib

from django.apps import apps as global_apps
from django.utils.module_loading import module_has_submodule

__all__ = ["EDITORS", "ANALYSTS", "PARTNERS", "ROLES", "model_permissions", "role_declarations", "sync_roles"]

# The groups' names are data shown in the Spanish admin (issue 12); code names them only
# through these constants. interventions/0009_spanish_role_names renamed the English ones.
EDITORS = "Editores"
ANALYSTS = "Analistas"
PARTNERS = "Socios"
ROLES = (EDITORS, ANALYSTS, PARTNERS)


def model_permissions(models, actions) -> list[str]:
    """The codenames of ``actions`` (add, change, delete, view) on ``models`` (model names)."""
    return [f"{action}_{model}" for model in models for action in actions]


def role_declarations():
    """``(app_label, roles module)`` of every installed app whose ``roles.py`` declares
    ``VIEW_ALL`` or ``ROLE_PERMISSIONS``, in INSTALLED_APPS order.

    Always the real app registry: a migration passes its historical models to
    ``sync_roles``, but the declarations are code."""
    for app_config in global_apps.get_app_configs():
        if not module_has_submodule(app_config.module, "roles"):
            continue
        module = importlib.import_module(f"{app_config.name}.roles")
        if hasattr(module, "VIEW_ALL") or hasattr(module, "ROLE_PERMISSIONS"):
            yield app_config.label, module


def sync_roles(apps=global_apps, **_kwargs):
    """Create the groups if missing and grant each one its permissions (idempotent)."""
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")

    declarations = list(role_declarations())
    groups = [Group.objects.get_or_create(name=role)[0] for role in ROLES]
    for group in groups:
        perms = []
        for app_label, module in declarations:
            if group.name in getattr(module, "VIEW_ALL", ()):
                perms += Permission.objects.filter(content_type__app_label=app_label, codename__startswith="view_")
            codenames = getattr(module, "ROLE_PERMISSIONS", {}).get(group.name, [])
            if codenames:
                perms += Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames)
        group.permissions.add(*perms)
