from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ModelingConfig(AppConfig):
    name = "modeling"
    verbose_name = _("Modeling")

    def ready(self):
        from . import messages  # noqa: F401  (registers the stored messages shown in the active language)
