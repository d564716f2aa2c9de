"""What one file may hold, checked while it is read: its uncompressed size, rows, columns
and cells, and a time budget for the whole import (docs/importing.md, "Limits").

The limits come from the settings ``IMPORT_MAX_UNCOMPRESSED_BYTES``, ``IMPORT_MAX_ROWS``,
``IMPORT_MAX_COLUMNS``, ``IMPORT_MAX_CELLS`` and ``IMPORT_TIME_BUDGET_SECONDS``. A file
over one of them is refused with :class:`FileProblem` as soon as the reader sees it (an
XLSX by the sizes its zip declares, before anything is unpacked), so a small upload that
unpacks to gigabytes costs neither minutes nor memory.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings

from . import messages as M

__all__ = ["ImportLimits"]

# How often (in rows) a reader reports its progress and looks at the clock.
CHECK_EVERY_ROWS = 5000


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):,.0f}"


@dataclass
class ImportLimits:
    """The bounds of one import and the clock it runs against.

    ``progress(fraction)``, when given, is told how far the reading is (0 to 1) every
    :data:`CHECK_EVERY_ROWS` rows."""

    max_uncompressed_bytes: int
    max_rows: int
    max_columns: int
    max_cells: int
    time_budget_seconds: float
    started: float = field(default_factory=time.monotonic)
    progress: Callable[[float], None] | None = None

    @classmethod
    def from_settings(cls, **overrides) -> ImportLimits:
        values = {
            "max_uncompressed_bytes": settings.IMPORT_MAX_UNCOMPRESSED_BYTES,
            "max_rows": settings.IMPORT_MAX_ROWS,
            "max_columns": settings.IMPORT_MAX_COLUMNS,
            "max_cells": settings.IMPORT_MAX_CELLS,
            "time_budget_seconds": settings.IMPORT_TIME_BUDGET_SECONDS,
        }
        return cls(**{**values, **overrides})

    # Each check returns the problem's text, or None; the readers raise it as a FileProblem
    # of their file (this module knows no file).

    def uncompressed_problem(self, size: int) -> str | None:
        if size > self.max_uncompressed_bytes:
            return str(M.MSG_TOO_LARGE_UNCOMPRESSED % {"size": _mb(size), "max": _mb(self.max_uncompressed_bytes)})
        return None

    def shape_problem(self, rows: int, columns: int, cells: int) -> str | None:
        """``rows`` read so far (the header included), the widest row's ``columns``, the
        ``cells`` read so far."""
        if columns > self.max_columns:
            return str(M.MSG_TOO_MANY_COLUMNS % {"columns": f"{columns:,}", "max": f"{self.max_columns:,}"})
        if rows > self.max_rows:
            return str(M.MSG_TOO_MANY_ROWS % {"max": f"{self.max_rows:,}"})
        if cells > self.max_cells:
            return str(M.MSG_TOO_MANY_CELLS % {"max": f"{self.max_cells:,}"})
        return None

    def time_problem(self) -> str | None:
        if time.monotonic() - self.started > self.time_budget_seconds:
            return str(M.MSG_TIME_BUDGET % {"seconds": f"{self.time_budget_seconds:g}"})
        return None

    def report(self, fraction: float) -> None:
        if self.progress is not None:
            self.progress(max(0.0, min(1.0, fraction)))
