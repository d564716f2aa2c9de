"""Any indicator table: wide (one column per indicator, ``--column COL=indicator``) or
long (columns ``ubigeo, indicator, year, value`` and optionally ``lower, upper,
sample_size``, recognised from the header)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from . import messages as M
from .base import Adapter, Context, ImportPlan
from .cells import is_formula, parse_numbers
from .reading import CellError, FileProblem, InputFile, Table, fold, read_grid, table_from_grid
from .ubigeo import normalise_codes

__all__ = ["GenericAdapter", "LONG_COLUMNS"]

LONG_COLUMNS = ("ubigeo", "indicator", "year", "value")
LONG_OPTIONAL = ("lower", "upper", "sample_size")


def is_long(table: Table) -> bool:
    """Long format: the header has an ``indicator`` column (the other required columns
    are then checked by name, so a missing one is reported as such)."""
    folded = {fold(c) for c in table.frame.columns}
    return "indicator" in folded


def _indicator_codes(table: Table, column: str) -> pd.Series:
    """The column as stripped codes, checked once per distinct text."""
    series = table.frame[column]
    verdict = {}
    for raw in pd.unique(series.dropna()):
        text = str(raw).strip()
        verdict[raw] = (M.MSG_EMPTY_CELL if not text else
                        M.MSG_FORMULA % {"text": text} if is_formula(text) else None, text)
    codes = series.map({raw: (text if problem is None else None) for raw, (problem, text) in verdict.items()})
    for row in series.index[codes.isna()]:
        raw = series[row]
        if isinstance(raw, float) and np.isnan(raw):
            problem = M.MSG_EMPTY_CELL
        else:
            problem = verdict.get(raw, (M.MSG_EMPTY_CELL, ""))[0]
        table.error(row, column, problem)
    return codes


def _missing_notes(table: Table) -> dict:
    """The summary's count of values read as missing (empty cells and markers such as
    ``NA``, ``-``, ``..``), and of the markers among them."""
    return {"missing_values": table.missing_values, "missing_markers": table.missing_markers}


class GenericAdapter(Adapter):
    """``columns`` maps a file column to an indicator code (wide format); ``scale``
    multiplies an indicator's values (e.g. 100 for shares written as 0–1)."""

    description = "generic"

    def __init__(self, *, source: str, year: int | None = None, ubigeo_column: str | None = None,
                 columns: dict[str, str] | None = None, scale: dict[str, float] | None = None,
                 sheet: str | None = None, skip_rows: int = 0):
        self.name = source
        self.value_source = source
        self.year = year
        self.ubigeo_column = ubigeo_column
        self.columns = columns or {}
        self.scale = scale or {}
        self.sheet = sheet
        self.skip_rows = skip_rows

    def plan(self, file: InputFile, context: Context) -> ImportPlan:
        grid, decimal = read_grid(file, sheet=self.sheet, skip_rows=self.skip_rows)
        if grid.empty:
            raise FileProblem(CellError(file.name, None, None, str(M.MSG_EMPTY_FILE)))
        table = table_from_grid(grid, file.name, header_row=int(grid.index[0]), decimal=decimal)
        if is_long(table) and not self.columns:
            return self._plan_long(table, context)
        return self._plan_wide(table, context)

    def _scaled(self, frame: pd.DataFrame) -> pd.DataFrame:
        for code, factor in self.scale.items():
            mask = frame["indicator"] == code
            for col in ("value", "lower", "upper"):
                frame.loc[mask, col] = frame.loc[mask, col] * factor
        return frame

    def _plan_long(self, table: Table, context: Context) -> ImportPlan:
        c_code, c_ind, c_year, c_value = (table.find(c) for c in LONG_COLUMNS)
        optional = {c: table.find(c, required=False) for c in LONG_OPTIONAL}
        codes = normalise_codes(table, c_code, known=context.communities)
        indicators = _indicator_codes(table, c_ind)
        year = parse_numbers(table, c_year, whole=True)
        value = parse_numbers(table, c_value, required=False, count_missing=True)
        lower = parse_numbers(table, optional["lower"], required=False) if optional["lower"] else np.nan
        upper = parse_numbers(table, optional["upper"], required=False) if optional["upper"] else np.nan
        n = np.nan
        if optional["sample_size"]:
            n = parse_numbers(table, optional["sample_size"], required=False, whole=True)
        plan = ImportPlan(rows_read=len(table.frame), errors=table.errors,
                          notes=_missing_notes(table))
        if table.errors:
            return plan
        frame = pd.DataFrame({
            "community_id": codes.map(context.communities), "indicator": indicators, "year": year, "value": value,
            "lower": lower, "upper": upper, "sample_size": n, "_row": table.frame.index,
        })
        frame["_column"] = c_value
        frame["_indicator_column"] = c_ind
        frame["_year_column"] = c_year
        frame["_sample_column"] = optional["sample_size"] or c_value
        frame["_interval_column"] = optional["lower"] or c_value
        frame["_key_column"] = c_code
        # A value given as a missing-value marker ("NA", "-", "..") is no value: nothing to write.
        plan.values = self._scaled(frame[frame["value"].notna()])
        return plan

    def _plan_wide(self, table: Table, context: Context) -> ImportPlan:
        if not self.ubigeo_column:
            raise FileProblem(CellError(table.file, None, None, str(M.MSG_MISSING_COLUMN % {
                "row": table.header_row, "column": "ubigeo",
                "found": ", ".join(f"“{c}”" for c in table.frame.columns)})))
        c_code = table.find(self.ubigeo_column)
        codes = normalise_codes(table, c_code, known=context.communities)
        ids = codes.map(context.communities)
        frames = []
        for column, indicator in self.columns.items():
            c_value = table.find(column)
            value = parse_numbers(table, c_value, required=False, count_missing=True)
            frame = pd.DataFrame({"community_id": ids, "indicator": indicator, "year": self.year, "value": value,
                                  "lower": np.nan, "upper": np.nan, "sample_size": np.nan,
                                  "_row": table.frame.index, "_column": c_value, "_key_column": c_code})
            frames.append(frame[frame["value"].notna()])
        plan = ImportPlan(rows_read=len(table.frame), errors=table.errors,
                          notes=_missing_notes(table))
        if not table.errors:
            plan.values = self._scaled(pd.concat(frames)) if frames else None
        return plan
