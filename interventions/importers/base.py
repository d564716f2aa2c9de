"""What an adapter works with: the :class:`ImportPlan` it returns for a file, the
:class:`Context` it may look things up in, and the :class:`Adapter` base class."""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ..models import Community, Indicator
from .reading import CellError, InputFile

__all__ = ["ImportPlan", "Context", "Adapter", "COMMUNITY_FIELDS"]

COMMUNITY_FIELDS = ["name", "population", "altitude_m", "latitude", "longitude", "area_km2"]


@dataclass
class ImportPlan:
    """What an adapter found in a file.

    ``values``: one row per value with ``community_id``, ``indicator`` (code), ``year``,
    ``value``, ``lower``, ``upper``, ``sample_size``, and ``_row`` / ``_column`` (where
    the value sits in the file, for messages). ``communities``: dicts with ``code`` and
    the fields in ``community_fields``.
    """

    rows_read: int = 0
    values: pd.DataFrame | None = None
    communities: list[dict] | None = None
    community_fields: list[str] = field(default_factory=lambda: list(COMMUNITY_FIELDS))
    create_communities: bool = True
    errors: list[CellError] = field(default_factory=list)
    notes: dict = field(default_factory=dict)


class Context:
    """What adapters may look up: communities by code, indicators by code."""

    def __init__(self, *, create_indicators: bool = False):
        self.create_indicators = create_indicators
        self._communities = None
        self._indicators = None

    @property
    def communities(self) -> dict[str, int]:
        if self._communities is None:
            self._communities = dict(Community.objects.values_list("code", "id"))
        return self._communities

    @property
    def indicators(self) -> dict[str, Indicator]:
        if self._indicators is None:
            self._indicators = {i.code: i for i in Indicator.objects.all()}
        return self._indicators

    def refresh_indicators(self):
        self._indicators = None

    def refresh(self):
        self._communities = None
        self._indicators = None


class Adapter:
    """A file family. Subclasses set ``name`` (the batch source), ``value_source``,
    ``files`` (paths inside the data layout) and implement ``plan``."""

    name = ""
    value_source = ""
    files: tuple[str, ...] = ()
    description = ""

    def plan(self, file: InputFile, context: Context) -> ImportPlan:  # pragma: no cover - abstract
        raise NotImplementedError
