from django.apps import AppConfig


class HealthplannerConfig(AppConfig):
    """The project itself as an app, without models: its operations commands
    (``serve_metrics``, ``create_grafana_role``) live in ``healthplanner/management``."""

    name = "healthplanner"
    label = "healthplanner"
