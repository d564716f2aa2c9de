"""healthplanner's own Prometheus metrics and the helpers the rest of the code calls.

The web app exports them at ``/metrics`` beside django-prometheus's; the django-q2 cluster
exports its workers' through ``manage.py serve_metrics``. Both rely on prometheus_client's
multiprocess mode when ``PROMETHEUS_MULTIPROC_DIR`` is set (gunicorn with several workers,
django-q2's forked workers): each process writes its samples to that folder and the
exporter adds them up. Without it (runserver, tests) the samples live in this process.

Names are a contract with the Grafana dashboards (``grafana/dashboards/*.json``) and the
tests that run every dashboard query against a real Prometheus: rename nothing here
without changing both.
"""
from prometheus_client import Counter, Gauge, Histogram

__all__ = [
    "SUCCESS",
    "FAILURE",
    "TASK_RUNS",
    "TRAINING_SECONDS",
    "MODEL_MAE",
    "MODEL_VERSION",
    "IMPORT_ROWS",
    "record_task_run",
    "set_model_mae",
    "record_import_rows",
]

SUCCESS = "success"
FAILURE = "failure"
WRITTEN = "written"
REJECTED = "rejected"

# prometheus_client appends ``_total`` to counters: these are exported as
# healthplanner_task_runs_total and healthplanner_import_rows_total.
TASK_RUNS = Counter(
    "healthplanner_task_runs",
    "Background task runs by task name and outcome (success or failure).",
    ["task", "status"],
)
TRAINING_SECONDS = Histogram(
    "healthplanner_training_seconds",
    "Wall-clock duration of model training runs, in seconds.",
    buckets=(1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, float("inf")),
)
# The latest value set in any process wins, and it survives the worker that set it
# (django-q2 recycles its workers). Labelled by target and level only (indicators × levels,
# a bounded set): the version trained last is a value (healthplanner_model_version), not a
# label, so every new version does not add a series for ever.
MODEL_MAE = Gauge(
    "healthplanner_model_mae",
    "Held-out weighted mean absolute error of the model version trained last, per target and level.",
    ["target", "level"],
    multiprocess_mode="mostrecent",
)
MODEL_VERSION = Gauge(
    "healthplanner_model_version",
    "Id of the model version trained last, per target and level (its MAE is healthplanner_model_mae).",
    ["target", "level"],
    multiprocess_mode="mostrecent",
)
IMPORT_ROWS = Counter(
    "healthplanner_import_rows",
    "Rows read by the importers, by source and outcome (written or rejected).",
    ["source", "outcome"],
)


def record_task_run(task: str, status: str) -> None:
    """Count one run of ``task`` ending in ``status`` (SUCCESS or FAILURE)."""
    TASK_RUNS.labels(task=task, status=status).inc()


def set_model_mae(*, target: str, level: str, version: int, mae: float) -> None:
    """Publish the held-out MAE of the version (its id) just trained for ``target`` and ``level``."""
    MODEL_VERSION.labels(target=target, level=level).set(int(version))
    MODEL_MAE.labels(target=target, level=level).set(mae)


def record_import_rows(source: str, written: int, rejected: int) -> None:
    """Count one import's rows: ``written`` stored, ``rejected`` refused."""
    if written:
        IMPORT_ROWS.labels(source=source, outcome=WRITTEN).inc(written)
    if rejected:
        IMPORT_ROWS.labels(source=source, outcome=REJECTED).inc(rejected)
