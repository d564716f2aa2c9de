"""Uploaded files become import batches here: the admin's import page (preview, then
confirm) and the API's ``POST /api/v1/imports/`` call the same functions."""
from __future__ import annotations

from dataclasses import dataclass

from ..choices import ImportStatus
from ..importers import Context, InputFile, run_import
from ..importers.uploads import (
    adapter_from_options,
    discard_upload,
    load_upload,
    save_upload,
    upload_check_size,
    upload_file_name,
)
from ..models import ImportBatch

__all__ = ["UploadedImport", "import_batch_from_upload", "import_batch_from_stored_upload", "import_upload_discard"]


@dataclass
class UploadedImport:
    """A batch read from an upload; ``token`` names the stored upload when it was kept for a
    later confirmation (the admin's preview), ``file`` is what was read."""

    batch: ImportBatch
    file: InputFile
    token: str | None = None


def import_batch_from_upload(*, user, upload, options: dict, dry_run: bool = False,
                             keep_for_confirmation: bool = False) -> UploadedImport:
    """Read, check and (unless ``dry_run``) write one uploaded file, all or nothing, with the
    adapter the upload form's ``options`` name. Raises ``UploadTooLarge`` above the size
    limit. With ``keep_for_confirmation`` a file the dry run accepted is stored for
    ``import_batch_from_stored_upload`` (a refused preview is not kept: ``token`` is None)."""
    upload_check_size(upload)
    name = upload_file_name(upload.name)
    data = upload.read()
    file = InputFile(name=name, data=data)
    batch = run_import(adapter=adapter_from_options(options), file=file, user=user, dry_run=dry_run,
                       context=Context())
    token = None
    # Only a preview that can be confirmed is kept; a refused one is never stored.
    if keep_for_confirmation and batch.status == ImportStatus.DRY_RUN:
        token = save_upload(data=data, name=name, options=options)
    return UploadedImport(batch=batch, file=file, token=token)


def import_batch_from_stored_upload(*, user, token: str) -> ImportBatch | None:
    """Write the upload stored under ``token`` (the admin's confirmation) and discard it;
    None when it is no longer there."""
    stored = load_upload(token)
    if stored is None:
        return None
    file, options = stored
    batch = run_import(adapter=adapter_from_options(options), file=file, user=user, context=Context())
    discard_upload(token)
    return batch


def import_upload_discard(*, token: str) -> None:
    """Forget a stored upload (the admin's cancel)."""
    discard_upload(token)
