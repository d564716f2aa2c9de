"""Uploaded files become import batches here: the admin's import page (preview, then
confirm) and the API's ``POST /api/v1/imports/`` call the same functions.

An upload above ``IMPORT_WORKER_THRESHOLD_BYTES`` is not read in the web request: it is
stored, its batch is recorded as ``queued`` and the django-q2 worker reads it
(``interventions.tasks.import_run`` → :func:`import_batch_run`), keeping the batch's stage
and progress up to date; the caller answers at once with the queued batch.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..choices import ImportStage, ImportStatus
from ..importers import Context, InputFile, run_import
from ..importers.limits import ImportLimits
from ..importers.pipeline import file_sha256
from ..importers.reading import CellError
from ..importers.sheets import unpacked_size
from ..importers.uploads import (
    adapter_from_options,
    discard_upload,
    load_upload,
    save_upload,
    upload_check_size,
    upload_file_name,
)
from ..models import ImportBatch

__all__ = [
    "MSG_UPLOAD_LOST",
    "MSG_WORKER_FAILED",
    "UploadedImport",
    "import_batch_enqueue",
    "import_batch_from_stored_upload",
    "import_batch_from_upload",
    "import_batch_run",
    "import_upload_discard",
    "import_upload_for_batch",
    "upload_goes_to_worker",
]

TASK_PATH = "interventions.tasks.import_run"
MSG_UPLOAD_LOST = _("the uploaded file was no longer stored when the worker came to read it; upload it again.")
MSG_WORKER_FAILED = _("the worker stopped while reading the file (%(detail)s); nothing was written.")


@dataclass
class UploadedImport:
    """A batch read from an upload; ``token`` names the stored upload when it was kept for a
    later confirmation (the admin's preview), ``file`` is what was read. ``queued``: the
    worker reads it (the batch is ``queued`` or, once the worker has started, running)."""

    batch: ImportBatch
    file: InputFile
    token: str | None = None
    queued: bool = False


def upload_goes_to_worker(size: int) -> bool:
    """Whether a file of ``size`` bytes is read by the worker rather than in the request."""
    return size > settings.IMPORT_WORKER_THRESHOLD_BYTES


def import_batch_from_upload(*, user, upload, options: dict, dry_run: bool = False,
                             keep_for_confirmation: bool = False) -> UploadedImport:
    """Read, check and (unless ``dry_run``) write one uploaded file, all or nothing, with the
    adapter the upload form's ``options`` name; a file above the worker threshold is queued
    instead (``queued`` is then true). Raises ``UploadTooLarge`` above the size limit. With
    ``keep_for_confirmation`` the file is stored for ``import_batch_from_stored_upload``
    (a refused preview is not kept: ``token`` is None)."""
    upload_check_size(upload)
    name = upload_file_name(upload.name)
    data = upload.read()
    file = InputFile(name=name, data=data)
    # A file refused by its size alone (an XLSX that unpacks to gigabytes) is refused at once
    # in the request: that costs a look at the zip's directory, not a worker.
    queued = upload_goes_to_worker(len(data)) and ImportLimits.from_settings().uncompressed_problem(
        unpacked_size(data)) is None
    if queued:
        # The worker reads the stored upload.
        token = save_upload(data=data, name=name, options=options)
        batch = import_batch_enqueue(file=file, options=options, token=token, user=user, dry_run=dry_run,
                                     keep_upload=keep_for_confirmation)
        return UploadedImport(batch=batch, file=file, token=token if keep_for_confirmation else None, queued=True)
    batch = run_import(adapter=adapter_from_options(options), file=file, user=user, dry_run=dry_run,
                       context=Context())
    token = None
    # Only a preview that can be confirmed is kept; a refused one is never stored.
    if keep_for_confirmation and batch.status == ImportStatus.DRY_RUN:
        token = save_upload(data=data, name=name, options=options)
    return UploadedImport(batch=batch, file=file, token=token)


@transaction.atomic
def import_batch_enqueue(*, file: InputFile, options: dict, token: str, user=None, dry_run: bool = False,
                         keep_upload: bool = False) -> ImportBatch:
    """Record a queued batch for the upload stored under ``token`` and hand it to the
    worker once this transaction commits (the worker never reads a row that is not
    committed). ``keep_upload``: leave the stored upload for a later confirmation."""
    from django_q.tasks import async_task

    batch = ImportBatch.objects.create(
        source=adapter_from_options(options).name, file_name=file.name[:255], sha256=file_sha256(file.data),
        user=user if user is not None and user.pk else None, dry_run=dry_run,
        status=ImportStatus.QUEUED, stage=ImportStage.QUEUED,
    )

    def send():
        task_id = async_task(TASK_PATH, batch.pk, token, keep_upload, task_name=f"import-{batch.pk}",
                             group="imports")
        ImportBatch.objects.filter(pk=batch.pk, task_id="").update(task_id=str(task_id or "")[:64])

    transaction.on_commit(send)
    return batch


def _fail(batch: ImportBatch, problem: str) -> ImportBatch:
    batch.status, batch.stage, batch.progress = ImportStatus.FAILED, ImportStage.DONE, 100
    batch.finished_at = timezone.now()
    batch.errors = [CellError(batch.file_name, None, None, problem).as_dict()]
    batch.save(update_fields=["status", "stage", "progress", "finished_at", "errors"])
    return batch


def import_batch_run(*, batch_id: int, token: str, keep_upload: bool = False) -> ImportBatch | None:
    """The worker's side of :func:`import_batch_enqueue`: read, check and write the stored
    upload into its queued batch. A batch that already finished is left alone (a retried
    task whose first attempt completed); one left ``running`` by a worker that died is read
    again (its data transaction was rolled back with the worker)."""
    batch = ImportBatch.objects.select_related("user").filter(pk=batch_id).first()
    if batch is None or batch.status not in (ImportStatus.QUEUED, ImportStatus.RUNNING):
        return batch
    stored = load_upload(token)
    if stored is None:
        return _fail(batch, str(MSG_UPLOAD_LOST))
    file, options = stored
    try:
        batch = run_import(adapter=adapter_from_options(options), file=file, user=batch.user,
                           dry_run=batch.dry_run, context=Context(), batch=batch)
    except Exception as exc:  # a bug or a lost database: the batch says so, the worker logs it
        _fail(batch, str(MSG_WORKER_FAILED % {"detail": type(exc).__name__}))
        raise
    finally:
        if not keep_upload:
            discard_upload(token)
    return batch


def import_upload_for_batch(*, token: str, batch: ImportBatch) -> tuple[InputFile, dict] | None:
    """The upload stored under ``token`` and its options, when it is the file ``batch``
    read (the admin's preview of a queued check, reloaded until the worker is done)."""
    stored = load_upload(token)
    if stored is None or file_sha256(stored[0].data) != batch.sha256:
        return None
    return stored


def import_batch_from_stored_upload(*, user, token: str) -> ImportBatch | None:
    """Write the upload stored under ``token`` (the admin's confirmation) and discard it;
    None when it is no longer there. A file above the worker threshold is queued (the
    returned batch is then ``queued``)."""
    stored = load_upload(token)
    if stored is None:
        return None
    file, options = stored
    if upload_goes_to_worker(len(file.data)):
        return import_batch_enqueue(file=file, options=options, token=token, user=user)
    batch = run_import(adapter=adapter_from_options(options), file=file, user=user, context=Context())
    discard_upload(token)
    return batch


def import_upload_discard(*, token: str) -> None:
    """Forget a stored upload (the admin's cancel)."""
    discard_upload(token)
