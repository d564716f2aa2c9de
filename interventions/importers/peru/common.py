"""What the Peruvian adapters share: reading a table under a named header, checks on
codes and counts, and the values frame a plan carries."""
from __future__ import annotations

import numpy as np
import pandas as pd

from .. import messages as M
from ..base import Context
from ..reading import InputFile, Table, find_header_row, read_grid, table_from_grid

__all__ = ["read_table", "values_frame", "community_ids", "check_positive", "check_duplicates"]


def read_table(file: InputFile, *columns: str, sheet: str | None = None, label: str | None = None) -> Table:
    """The table under the first row (of the first 15) that names every one of
    ``columns``: ``read_grid``, ``find_header_row`` and ``table_from_grid`` in one. A
    missing header is reported against the file's name, the table's own messages against
    ``label`` (default: the file's name too)."""
    grid, decimal = read_grid(file, sheet=sheet)
    header = find_header_row(grid, file.name, *columns)
    return table_from_grid(grid, label or file.name, header_row=header, decimal=decimal)


def values_frame(table: Table, ids: pd.Series, *, indicator: str, year, value: pd.Series, column: str,
                 lower=None, upper=None, sample_size=None, sample_column=None, key_column=None) -> pd.DataFrame:
    """One value per row of ``table`` where the code and the value are present."""
    frame = pd.DataFrame({
        "community_id": ids,
        "indicator": indicator,
        "year": year,
        "value": value,
        "lower": np.nan if lower is None else lower,
        "upper": np.nan if upper is None else upper,
        "sample_size": np.nan if sample_size is None else sample_size,
        "_row": table.frame.index,
        "_column": column,
        "_sample_column": sample_column or column,
        "_key_column": key_column or column,
    }, index=table.frame.index)
    return frame[frame["community_id"].notna() & frame["value"].notna()]


def community_ids(codes: pd.Series, context: Context) -> pd.Series:
    """The community id of each code (NaN where there is none)."""
    return codes.map(context.communities)


def check_positive(table: Table, series: pd.Series, column: str, *, allow_zero=True):
    """An error for every value below zero (or at zero, with ``allow_zero=False``)."""
    bad = series < 0 if allow_zero else series <= 0
    for row, value in series[bad].items():
        table.error(row, column, M.MSG_NEGATIVE % {"value": f"{value:g}"})


def check_duplicates(table: Table, codes: pd.Series, column: str):
    """An error for every repeat of a code, naming the row of its first occurrence."""
    present = codes.dropna()
    dup = present.duplicated(keep=False)
    if dup.any():
        first_rows = {}
        for row, code in present[dup].items():
            if code in first_rows:
                table.error(row, column, M.MSG_DUPLICATE % {"what": M.KEY_WHAT_CODE, "first": first_rows[code]})
            else:
                first_rows[code] = row
