"""Settings for the processes the Prometheus test starts (gunicorn, qcluster,
serve_metrics): the test settings, a URL that fails on purpose (to produce real 5xx
responses), and a real queue instead of inline tasks."""
from healthplanner.test_settings import *  # noqa: F401,F403
from healthplanner.test_settings import Q_CLUSTER

ROOT_URLCONF = "tests.grafana_live_urls"
Q_CLUSTER = {**Q_CLUSTER, "sync": False, "workers": 1, "poll": 0.2}
