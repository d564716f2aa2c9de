"""Importers: one service for every file (admin, management commands, later the API).

``run_import(adapter=…, file=InputFile…, user=…, dry_run=…)`` reads, checks and writes
one file in one transaction and returns its ImportBatch. Adapters: the built-in Peruvian
ones (``PERU_ADAPTERS``) and the generic wide/long table (``GenericAdapter``).
"""
from .base import Adapter, Context, ImportPlan
from .generic import GenericAdapter
from .peru import LOAD_ORDER, PERU_ADAPTERS
from .pipeline import run_import
from .reading import CellError, FileProblem, InputFile
from .rollback import rollback_batch
from .writers import write_values

__all__ = [
    "Adapter",
    "CellError",
    "Context",
    "FileProblem",
    "GenericAdapter",
    "ImportPlan",
    "InputFile",
    "LOAD_ORDER",
    "PERU_ADAPTERS",
    "rollback_batch",
    "run_import",
    "write_values",
]
