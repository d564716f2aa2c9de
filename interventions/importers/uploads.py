"""Files uploaded on the admin import page wait here between the preview and the
confirmation (a folder under MEDIA_ROOT, one file per upload, named by a random token)."""
from __future__ import annotations

import json
import re
import secrets
import time
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .generic import GenericAdapter
from .peru import PERU_ADAPTERS
from .reading import InputFile

__all__ = [
    "GENERIC",
    "MAX_SKIP_ROWS",
    "MAX_UPLOAD_BYTES",
    "MSG_TOO_LARGE",
    "UploadTooLarge",
    "adapter_from_options",
    "discard_upload",
    "load_upload",
    "save_upload",
    "upload_check_size",
    "upload_file_name",
    "upload_folder",
]

GENERIC = "generic"
# One limit for the admin page and the API (the API answers 413, the admin shows the form error).
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
MAX_SKIP_ROWS = 1000
MSG_TOO_LARGE = _("The file is larger than %(mb)s MB.")
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


class UploadTooLarge(Exception):
    """The upload is above ``MAX_UPLOAD_BYTES``; ``message`` says the limit."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


def upload_check_size(upload) -> None:
    """Refuse an upload above the size limit (before reading it)."""
    if upload.size > MAX_UPLOAD_BYTES:
        raise UploadTooLarge(MSG_TOO_LARGE % {"mb": MAX_UPLOAD_BYTES // (1024 * 1024)})


def upload_file_name(name: str) -> str:
    """The name an upload is recorded under: no path separators, at most 200 characters."""
    return re.sub(r"[\\/]", "_", name or "")[:200]


def upload_folder() -> Path:
    folder = Path(settings.MEDIA_ROOT) / "import-uploads"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


MAX_AGE_SECONDS = 24 * 3600


def _discard_stale():
    """Uploads previewed but never confirmed nor cancelled are removed after a day."""
    limit = time.time() - MAX_AGE_SECONDS
    for path in upload_folder().iterdir():
        if path.suffix in (".bin", ".json") and path.stat().st_mtime < limit:
            path.unlink(missing_ok=True)


def save_upload(*, data: bytes, name: str, options: dict) -> str:
    _discard_stale()
    token = secrets.token_urlsafe(24)
    (upload_folder() / f"{token}.bin").write_bytes(data)
    (upload_folder() / f"{token}.json").write_text(json.dumps({"name": name, "options": options}))
    return token


def load_upload(token: str) -> tuple[InputFile, dict] | None:
    if not _TOKEN.match(token or ""):
        return None
    data_path, meta_path = upload_folder() / f"{token}.bin", upload_folder() / f"{token}.json"
    if not data_path.is_file() or not meta_path.is_file():
        return None
    meta = json.loads(meta_path.read_text())
    return InputFile(name=meta["name"], data=data_path.read_bytes()), meta["options"]


def discard_upload(token: str) -> None:
    if not _TOKEN.match(token or ""):
        return
    for suffix in (".bin", ".json"):
        (upload_folder() / f"{token}{suffix}").unlink(missing_ok=True)


def adapter_from_options(options: dict):
    """The adapter the import form asked for: a built-in one by name, or the generic
    table with its column mapping."""
    if options.get("adapter") in PERU_ADAPTERS:
        return PERU_ADAPTERS[options["adapter"]]
    return GenericAdapter(
        source=options["source"], year=options.get("year"), ubigeo_column=options.get("ubigeo_column") or None,
        columns=options.get("columns") or {}, scale=options.get("scale") or {},
        sheet=options.get("sheet") or None, skip_rows=options.get("skip_rows") or 0,
    )
