"""A task the Prometheus test queues for a real django-q2 worker: it emits the import
metric through the same helper the importers are meant to call (the modeling metrics come
from real training and scoring runs)."""
from healthplanner import metrics


def import_like(source: str, written: int, rejected: int):
    metrics.record_import_rows(source, written=written, rejected=rejected)
