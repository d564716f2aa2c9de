"""Tasks the Prometheus test queues for a real django-q2 worker: they emit every metric
the modeling and import code will emit, through the same helpers."""
import time

from healthplanner import metrics


@metrics.track_task("train_model")
def train_like(version: int):
    with metrics.training_timer():
        time.sleep(0.05)
    metrics.set_model_mae(target="stunting_u5_pct", level="district", version=version, mae=3.2 + version / 10)
    return version


@metrics.track_task("import_file")
def import_like(source: str, written: int, rejected: int):
    metrics.record_import_rows(source, written=written, rejected=rejected)


@metrics.track_task("score_communities")
def failing_task():
    raise RuntimeError("a task failure on purpose, for the metrics test")
