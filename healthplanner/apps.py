from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _sync_roles_after_migrate(sender, **kwargs):
    from .roles import sync_roles

    sync_roles()


class HealthplannerConfig(AppConfig):
    """The project itself as an app: the roles every app grants permissions to
    (``roles.py``), the API tokens (``models.py``: a proxy of django-rest-knox's table;
    ``tokens.py``, ``admin.py``) and the operations commands (``serve_metrics``,
    ``create_grafana_role``, ``create_api_token``, ``revoke_api_tokens``) in
    ``healthplanner/management``."""

    name = "healthplanner"
    label = "healthplanner"
    verbose_name = _("API access")

    def ready(self):
        # Every app's post_migrate creates that app's permissions; syncing after each one
        # (idempotent, a few queries) lets models of later apps join the roles.
        post_migrate.connect(_sync_roles_after_migrate, dispatch_uid="sync_roles")
