from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ModelingConfig(AppConfig):
    name = "modeling"
    verbose_name = _("Modeling")

    def ready(self):
        from healthplanner.health import register_check

        from .selectors import active_model_readiness

        register_check("model", active_model_readiness)
