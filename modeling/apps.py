from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ModelingConfig(AppConfig):
    name = "modeling"
    verbose_name = _("Modeling")

    def ready(self):
        from interventions.signals import demo_data_removing

        from .services.cleanup import modeling_results_remove

        demo_data_removing.connect(modeling_results_remove, dispatch_uid="modeling-results-remove")
