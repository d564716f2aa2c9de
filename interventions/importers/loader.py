"""Load every built-in Peruvian source from a folder (or base URL) laid out like
``../shared/data/peru/``, in dependency order."""
from __future__ import annotations

from dataclasses import dataclass

from ..choices import ImportStatus
from ..models import ImportBatch
from ..services.catalogue import ensure_indicators
from .core import Context, run_import
from .peru import LOAD_ORDER, PERU_ADAPTERS
from .reading import InputFile

__all__ = ["load_peru_data", "LoadStep", "planned_files"]


@dataclass
class LoadStep:
    source: str
    relpath: str
    batch: ImportBatch | None = None
    missing: bool = False


def planned_files(only=None) -> list[tuple[str, str]]:
    names = [n for n in LOAD_ORDER if not only or n in only]
    return [(name, relpath) for name in names for relpath in PERU_ADAPTERS[name].files]


def load_peru_data(*, base: str, user=None, dry_run: bool = False, only=None, progress=None) -> list[LoadStep]:
    """Run every adapter over its files. A file that cannot be fetched is reported as
    missing; a refused file does not stop the others (their own checks refuse values
    whose communities are absent). ``progress(step)`` is called after each file."""
    ensure_indicators()
    steps = []
    failed_sources = set()
    for name, relpath in planned_files(only):
        step = LoadStep(source=name, relpath=relpath)
        try:
            file = InputFile.from_location(str(base), relpath)
        except (OSError, ValueError):
            step.missing = True
        else:
            step.batch = run_import(adapter=PERU_ADAPTERS[name], file=file, user=user, dry_run=dry_run,
                                    context=Context())
            if step.batch.status == ImportStatus.FAILED:
                failed_sources.add(name)
        steps.append(step)
        if progress:
            progress(step)
    return steps

