"""Reading cells: numbers (thousands separators, decimal commas, formulas refused) and
text, every unreadable cell recorded as a row-level error on its table."""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from . import messages as M

if TYPE_CHECKING:
    from .reading import Table

__all__ = ["MISSING_MARKERS", "check_text", "is_formula", "parse_numbers"]

# What statistics offices and spreadsheets write for "no value" (compared lower-case,
# spaces removed): read as missing and counted where a value may be missing, an error where
# one is required, never a number.
MISSING_MARKERS = frozenset({"na", "n/a", "n.a.", "nan", "null", "none", "-", "--", "—", "–", "..", "...", "…",
                             "nd", "n.d.", "s/d", "s.d.", "sd", "sindato", "sin dato", "#n/a", "#n/d"})

_FORMULA = re.compile(r"^\s*(=|@|[+-]\s*[^\d.\s])")
_SPACES = re.compile(r"[\s\u00a0\u202f']")
_THOUSANDS_POINT = re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$")
_THOUSANDS_COMMA = re.compile(r"^[+-]?(\d{1,3}(\.\d{3})+|\d+)(,\d+)?$")


def is_formula(text) -> bool:
    return isinstance(text, str) and bool(_FORMULA.match(text))


def _clean_number_text(text: str, decimal: str) -> str:
    text = _SPACES.sub("", text)
    if decimal == ",":
        if _THOUSANDS_COMMA.match(text):
            return text.replace(".", "").replace(",", ".")
        return text
    if _THOUSANDS_POINT.match(text):
        return text.replace(",", "")
    return text


def parse_numbers(table: Table, column: str, *, required: bool = True, whole: bool = False,
                  rows=None, count_missing: bool = False) -> pd.Series:
    """The column as floats (NaN where empty); every unreadable cell is recorded as an
    error on ``table``. ``whole`` asks for integers.

    Where a value may be missing (``required=False``), empty cells and missing-value
    markers (``NA``, ``null``, ``-``, ``..``, …, case and spaces ignored) are NaN, the
    markers counted on ``table.missing_markers``; with ``count_missing`` (a column of
    values) every missing cell is also counted on ``table.missing_values``. Where a value
    is required, an empty cell and a marker are errors."""
    series = table.frame[column] if rows is None else table.frame.loc[rows, column]
    missing = series.isna()
    marked = pd.Series(False, index=series.index)  # missing by a marker (an error where required)
    if pd.api.types.is_numeric_dtype(series.dtype):
        values = series.astype(float)
    else:
        if table.decimal == ".":
            values = pd.to_numeric(series, errors="coerce").astype(float)
        else:
            values = pd.Series(np.nan, index=series.index)
        # Cells still unread that hold text: blanks, thousands separators, decimal comma, formulas.
        pending = values.isna() & ~missing
        if pending.any():
            texts = series[pending].astype(str).str.strip()
            marker = texts.str.lower().str.replace(" ", "", regex=False).isin(
                {m.replace(" ", "") for m in MISSING_MARKERS})
            if not required:
                table.missing_markers += int(marker.sum())
            marked.loc[marker.index[marker]] = True
            blank = (texts == "") | marker
            missing = missing.copy()
            missing.loc[blank.index[blank]] = True
            cleaned = texts[~blank].map(lambda t: _clean_number_text(t, table.decimal))
            values.loc[cleaned.index] = pd.to_numeric(cleaned, errors="coerce")
    bad = (values.isna() & ~missing) | np.isinf(values)
    if whole:
        fractional = ~bad & values.notna() & (values != np.floor(values))
    else:
        fractional = None
    empty = missing & ~marked
    if count_missing:
        table.missing_values += int(missing.sum())
    if bad.any() or (fractional is not None and fractional.any()) or (required and missing.any()):
        for row in series.index[bad]:
            text = str(series[row]).strip()
            message = M.MSG_FORMULA if is_formula(text) else M.MSG_NOT_A_NUMBER
            table.error(row, column, message % {"text": text})
        if fractional is not None:
            for row in series.index[fractional]:
                table.error(row, column, M.MSG_NOT_A_WHOLE_NUMBER % {"text": str(series[row]).strip()})
        if required:
            for row in series.index[empty]:
                table.error(row, column, M.MSG_EMPTY_CELL)
            for row in series.index[marked]:
                table.error(row, column, M.MSG_MISSING_REQUIRED % {"text": str(series[row]).strip()})
        values = values.where(~bad & ~(fractional if fractional is not None else False))
    return values


def check_text(table: Table, column: str, *, max_length: int = 120, required: bool = True) -> pd.Series:
    """The column as stripped text; formulas, over-long and (if required) empty cells are errors."""
    series = table.frame[column]
    texts = series.map(lambda v: None if v is None or (isinstance(v, float) and np.isnan(v)) else str(v).strip())
    for row, text in texts.items():
        if not text:
            if required:
                table.error(row, column, M.MSG_EMPTY_CELL)
        elif is_formula(text):
            table.error(row, column, M.MSG_FORMULA % {"text": text})
        elif len(text) > max_length:
            table.error(row, column, M.MSG_TEXT_TOO_LONG % {"max": max_length})
    return texts
