from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ModelingConfig(AppConfig):
    name = "modeling"
    verbose_name = _("Modeling")

    def ready(self):
        from interventions.signals import demo_data_removing

        from .services.cleanup import modeling_results_remove

        demo_data_removing.connect(modeling_results_remove, dispatch_uid="modeling-results-remove")
        from django_q.signals import post_spawn

        from healthplanner.health import register_check

        from .selectors import active_model_readiness
        from .tasks import reclaim_at_worker_start

        register_check("model", active_model_readiness)
        post_spawn.connect(reclaim_at_worker_start, dispatch_uid="modeling-reclaim-stale-runs")
        from . import messages  # noqa: F401  (registers the stored messages shown in the active language)
