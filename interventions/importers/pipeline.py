"""The one import code path: an adapter turns a file into a plan (communities and/or
indicator values, or errors); ``run_import`` checks the plan, writes it in one
transaction and records the run as an :class:`ImportBatch`."""
from __future__ import annotations

import hashlib
import time

from django.db import DatabaseError, transaction
from django.utils import timezone

from healthplanner.metrics import record_import_rows

from ..choices import ImportStage, ImportStatus
from ..models import ImportBatch
from . import messages as M
from .base import Adapter, Context, ImportPlan
from .checks import Rejected, check_values
from .limits import ImportLimits
from .reading import MAX_ERRORS_KEPT, CellError, FileProblem, InputFile
from .writers import write_communities, write_values

__all__ = ["file_sha256", "run_import"]


class _DryRun(Exception):
    def __init__(self, counts):
        super().__init__("dry run")
        self.counts = counts


def file_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


GENERIC_METRIC_SOURCE = "generic"


def metric_source(adapter) -> str:
    """The ``source`` label of the import metrics: a built-in adapter's name, or "generic"
    for any indicator table (its source is typed by users, so it would make the label's
    values unbounded in Prometheus)."""
    from .peru import PERU_ADAPTERS

    return adapter.name if PERU_ADAPTERS.get(adapter.name) is adapter else GENERIC_METRIC_SOURCE


# How the progress percent is shared between the stages of an import.
READ_SHARE, CHECK_SHARE = 70, 85
PROGRESS_EVERY_SECONDS = 1.0


def _progress_recorder(batch: ImportBatch):
    """A callback that records the reading's progress on the batch row (at most once a
    second: a worker's progress is read by the admin and the API while it runs)."""
    last = [0.0]

    def record(fraction: float):
        now = time.monotonic()
        if now - last[0] >= PROGRESS_EVERY_SECONDS:
            last[0] = now
            batch.progress = int(fraction * READ_SHARE)
            ImportBatch.objects.filter(pk=batch.pk).update(progress=batch.progress, stage=ImportStage.READING)

    return record


def _stage(batch: ImportBatch, stage: str, progress: int) -> None:
    batch.stage, batch.progress = stage, progress
    ImportBatch.objects.filter(pk=batch.pk).update(stage=stage, progress=progress)


def _check_budget(limits: ImportLimits, file_name: str) -> None:
    problem = limits.time_problem()
    if problem:
        raise FileProblem(CellError(file_name, None, None, problem))


def run_import(*, adapter: Adapter, file: InputFile, user=None, dry_run: bool = False,
               context: Context | None = None, batch: ImportBatch | None = None,
               limits: ImportLimits | None = None) -> ImportBatch:
    """Read, check and write one file, all or nothing, within ``limits`` (the settings'
    by default: sizes, rows, columns, cells, time); returns its ImportBatch.

    The batch row is written outside the data transaction so that a refused file still
    leaves its record (status ``failed`` with every error). ``batch``: a queued batch to
    run (the worker's); its stage and progress are kept up to date while it runs."""
    context = context or Context()
    started = time.monotonic()
    if batch is None:
        batch = ImportBatch.objects.create(
            source=adapter.name, file_name=file.name[:255], sha256=file_sha256(file.data),
            user=user if user is not None and user.pk else None, dry_run=dry_run,
        )
    else:
        batch.status, batch.stage, batch.progress = ImportStatus.RUNNING, ImportStage.READING, 0
        batch.sha256, batch.dry_run = file_sha256(file.data), dry_run
        batch.save(update_fields=["status", "stage", "progress", "sha256", "dry_run"])
    limits = limits or ImportLimits.from_settings()
    limits.progress = _progress_recorder(batch)
    file.limits = limits
    counts = {}
    errors: list[CellError] = []
    rejected_count = None
    plan = ImportPlan()
    try:
        plan = adapter.plan(file, context)
        counts["read_seconds"] = round(time.monotonic() - started, 3)
        errors = list(plan.errors)
        if not errors:
            _check_budget(limits, file.name)
            _stage(batch, ImportStage.CHECKING, READ_SHARE)
            with transaction.atomic():
                counts.update(_apply(plan, batch=batch, source=adapter.value_source or adapter.name,
                                     user=user, context=context, file_name=file.name, limits=limits))
                if dry_run:
                    raise _DryRun(counts)
                commit_started = time.monotonic()
            counts["commit_seconds"] = round(time.monotonic() - commit_started, 3)
    except FileProblem as problem:
        errors = [problem.error]
    except Rejected as rejected:
        errors = rejected.errors
        rejected_count = rejected.rejected_rows
    except _DryRun as done:
        counts.update(done.counts)
    except DatabaseError as exc:
        # A constraint the checks above did not foresee, or a concurrent import of the
        # same source: the transaction is rolled back and the batch says why.
        errors = [CellError(file.name, None, None, str(M.MSG_DATABASE_REFUSED % {"detail": str(exc).splitlines()[0]}))]
    finally:
        context.refresh()

    batch.finished_at = timezone.now()
    batch.stage, batch.progress = ImportStage.DONE, 100
    batch.rows_read = plan.rows_read
    if errors:
        batch.status = ImportStatus.FAILED
        rejected_rows = {e.row for e in errors if e.row is not None}
        batch.rows_rejected = len(rejected_rows) if rejected_rows and all(e.row for e in errors) else plan.rows_read
        if rejected_count is not None:
            batch.rows_rejected = max(batch.rows_rejected, rejected_count)
        batch.rows_written = 0
        shown = [e.as_dict() for e in errors[:MAX_ERRORS_KEPT]]
        if len(errors) > MAX_ERRORS_KEPT:
            shown.append({"file": file.name, "row": None, "column": None, "message": str(
                M.MSG_MORE_ERRORS % {"count": len(errors) - MAX_ERRORS_KEPT, "shown": MAX_ERRORS_KEPT})})
        batch.errors = shown
    else:
        batch.status = ImportStatus.DRY_RUN if dry_run else ImportStatus.SUCCEEDED
        batch.rows_written = sum(counts.get(k, 0) for k in ("values_created", "values_updated",
                                                            "communities_created", "communities_updated"))
    batch.summary = {**counts, **plan.notes, "seconds": round(time.monotonic() - started, 3)}
    batch.save()
    if not dry_run:
        record_import_rows(metric_source(adapter), batch.rows_written, batch.rows_rejected)
    return batch


# --- Applying a plan ----------------------------------------------------------------

def _apply(plan: ImportPlan, *, batch, source, user, context, file_name, limits) -> dict:
    counts = {}
    if plan.communities is not None:
        counts.update(write_communities(plan, batch=batch, user=user, file_name=file_name))
        context.refresh()
    if plan.values is not None:
        started = time.monotonic()
        frame = check_values(plan.values, context=context, file_name=file_name)
        counts["check_seconds"] = round(time.monotonic() - started, 3)
        _check_budget(limits, file_name)
        started = time.monotonic()
        counts.update(write_values(frame=frame, source=source, batch=batch, user=user))
        counts["write_seconds"] = round(time.monotonic() - started, 3)
    return counts
