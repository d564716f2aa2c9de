from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sync_roles_after_migrate(sender, **kwargs):
    from .roles import sync_roles

    sync_roles()


class HealthplannerConfig(AppConfig):
    """The project itself as an app, without models: the roles every app grants
    permissions to (``roles.py``) and the operations commands (``serve_metrics``,
    ``create_grafana_role``) in ``healthplanner/management``."""

    name = "healthplanner"
    label = "healthplanner"

    def ready(self):
        # Every app's post_migrate creates that app's permissions; syncing after each one
        # (idempotent, a few queries) lets models of later apps join the roles.
        post_migrate.connect(_sync_roles_after_migrate, dispatch_uid="sync_roles")
