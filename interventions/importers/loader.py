"""Load every built-in Peruvian source from a folder (or base URL) laid out like
``../shared/data/peru/``, in dependency order."""
from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from ..choices import ImportStatus
from ..models import ImportBatch
from ..seed.catalogue import ensure_indicators, ensure_intervention_types
from ..services.demo import demo_check, demo_remove
from .base import Context
from .peru import LOAD_ORDER, PERU_ADAPTERS
from .pipeline import run_import
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


def load_peru_data(*, base: str, user=None, dry_run: bool = False, only=None, progress=None,
                   replace_demo: bool = False, on_demo_removed=None) -> list[LoadStep]:
    """Run every adapter over its files. A file that cannot be fetched is reported as
    missing; a refused file does not stop the others (their own checks refuse values
    whose communities are absent). ``progress(step)`` is called after each file.

    A dry run loads everything inside one transaction that is rolled back at the end,
    so each source sees the communities the ones before it would have written; the
    returned batches say what would have happened, and nothing (not even the batch
    rows) stays in the database.

    Refused (``DemoDataPresent``, nothing written) while the synthetic demo is in the
    database, unless ``replace_demo``: then the demo is removed first
    (``interventions.services.demo``) and ``on_demo_removed(removal)`` is told."""
    demo_check(replace_demo=replace_demo)
    if dry_run:
        with transaction.atomic():
            if replace_demo:
                _replace_demo(on_demo_removed)
            steps = _load(base=base, user=user, only=only, progress=progress)
            transaction.set_rollback(True)
        for step in steps:
            if step.batch is not None and step.batch.status == ImportStatus.SUCCEEDED:
                step.batch.status = ImportStatus.DRY_RUN
                step.batch.dry_run = True
        return steps
    if replace_demo:
        _replace_demo(on_demo_removed)
    return _load(base=base, user=user, only=only, progress=progress)


def _replace_demo(on_demo_removed):
    removal = demo_remove()
    if on_demo_removed is not None:
        on_demo_removed(removal)


def _load(*, base, user, only, progress) -> list[LoadStep]:
    ensure_indicators()
    # The starter catalogue works with real data too: planning needs it (staff edits stay).
    ensure_intervention_types()
    steps = []
    for name, relpath in planned_files(only):
        step = LoadStep(source=name, relpath=relpath)
        try:
            file = InputFile.from_location(str(base), relpath)
        except (OSError, ValueError):
            step.missing = True
        else:
            step.batch = run_import(adapter=PERU_ADAPTERS[name], file=file, user=user, context=Context())
        steps.append(step)
        if progress:
            progress(step)
    return steps
