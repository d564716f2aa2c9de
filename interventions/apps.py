from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _sync_roles_after_migrate(sender, **kwargs):
    from .roles import sync_roles

    sync_roles()


class InterventionsConfig(AppConfig):
    name = "interventions"
    verbose_name = _("Communities and interventions")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Every app's post_migrate creates that app's permissions; syncing after each one
        # (idempotent, a few queries) lets models of later apps join the roles.
        post_migrate.connect(_sync_roles_after_migrate, dispatch_uid="sync_roles")
