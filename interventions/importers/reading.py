"""Reading CSV, XLSX and XLS files into pandas, and turning their cells into checked
numbers and codes.

CSV: UTF-8 (with or without BOM) or Latin-1; ``,`` ``;`` or tab as separator; decimal
comma or point; thousands separators (``29,171``, ``1.234,5``, ``1 234``). Excel: the
first sheet or a named one. Every problem becomes a :class:`CellError` that names the
file, the row as a spreadsheet shows it and the column.
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin
from urllib.request import urlopen

import numpy as np
import pandas as pd

from . import messages as M
from .limits import ImportLimits

__all__ = [
    "CellError",
    "FileProblem",
    "InputFile",
    "Table",
    "read_grid",
    "table_from_grid",
]

MAX_ERRORS_KEPT = 1000


@dataclass(frozen=True)
class CellError:
    """One problem in one place of one file."""

    file: str
    row: int | None
    column: str | None
    problem: str

    @property
    def message(self) -> str:
        if self.row is None:
            return str(M.MSG_FILE % {"file": self.file, "problem": self.problem})
        if self.column is None:
            return str(M.MSG_ROW % {"file": self.file, "row": self.row, "problem": self.problem})
        return str(
            M.MSG_CELL
            % {"file": self.file, "row": self.row, "column": self.column, "problem": self.problem}
        )

    def as_dict(self) -> dict:
        return {"file": self.file, "row": self.row, "column": self.column, "message": self.message}


class FileProblem(Exception):
    """The file as a whole cannot be used; carries its CellError."""

    def __init__(self, error: CellError):
        super().__init__(error.message)
        self.error = error


@dataclass
class InputFile:
    """A file's bytes, its display name, and where its neighbours live (a folder or a
    base URL laid out like ``../shared/data/peru/``)."""

    name: str
    data: bytes
    base: str | None = None  # folder path or URL of the source layout root
    relpath: str | None = None
    # The bounds it is read within (run_import sets them; the settings' otherwise).
    limits: ImportLimits | None = field(default=None, repr=False, compare=False)

    @classmethod
    def from_path(cls, path, *, base=None, relpath=None) -> InputFile:
        path = Path(path)
        return cls(name=path.name, data=path.read_bytes(), base=str(base) if base else None,
                   relpath=relpath)

    @classmethod
    def from_location(cls, base: str, relpath: str) -> InputFile:
        """``base`` is a folder or an http(s) URL; ``relpath`` a path inside it."""
        if re.match(r"^https?://", base):
            url = urljoin(base.rstrip("/") + "/", relpath)
            with urlopen(url, timeout=60) as response:  # noqa: S310 (http(s) only)
                data = response.read()
            return cls(name=Path(relpath).name, data=data, base=base, relpath=relpath)
        return cls.from_path(Path(base) / relpath, base=base, relpath=relpath)

    def sibling(self, relpath: str) -> InputFile | None:
        """Another file of the same layout, or None where it is not available."""
        if not self.base:
            return None
        try:
            return InputFile.from_location(self.base, relpath)
        except (OSError, ValueError):
            return None


# --- Raw grids ---------------------------------------------------------------------

def _kind(data: bytes, name: str) -> str:
    lower = name.lower()
    if data[:4] == b"PK\x03\x04":
        return "xlsx"
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return "xls"
    if lower.endswith((".xlsx", ".xlsm")):
        return "bad-xlsx"
    if lower.endswith(".xls"):
        return "bad-xls"
    return "csv"


def _decode(data: bytes, name: str) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or (len(data) > 1 and data.count(b"\x00") > len(data) // 20):
        # UTF-16 or binary: tell binary (many control bytes) from UTF-16 text.
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            text = None
        if text is not None and _looks_textual(text):
            raise FileProblem(CellError(name, None, None, str(M.MSG_BAD_ENCODING)))
        raise FileProblem(CellError(name, None, None, str(M.MSG_NOT_A_TABLE)))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
        # Latin-1 decodes any byte: refuse what is clearly not text.
        if not _looks_textual(text):
            raise FileProblem(CellError(name, None, None, str(M.MSG_NOT_A_TABLE))) from None
    return text


def _looks_textual(text: str) -> bool:
    sample = text[:20000]
    if not sample:
        return True
    control = sum(1 for ch in sample if (ord(ch) < 32 and ch not in "\t\r\n") or 0x7F <= ord(ch) < 0xA0)
    return control / len(sample) < 0.01


def _delimiter(text: str) -> str:
    lines = [line for line in text.splitlines()[:50] if line.strip()]
    if not lines:
        return ","
    try:
        return csv.Sniffer().sniff("\n".join(lines[:20]), delimiters=",;\t").delimiter
    except csv.Error:
        header = lines[0]
        counts = {d: header.count(d) for d in (",", ";", "\t")}
        return max(counts, key=counts.get) if max(counts.values()) else ","


def read_grid(file: InputFile, *, sheet: str | None = None, skip_rows: int = 0,
              head: int | None = None) -> tuple[pd.DataFrame, str]:
    """All cells of the file (or sheet) as objects, no header interpretation, read within
    the file's limits (``file.limits``, or the settings'); ``head`` reads only the first
    rows (a preview).

    Returns the grid and the decimal separator its text numbers use. The grid's index
    is the spreadsheet row number (1-based).
    """
    from .sheets import csv_grid, xls_grid, xlsx_grid

    name = file.name
    limits = file.limits or ImportLimits.from_settings()
    if not file.data or not file.data.strip():
        raise FileProblem(CellError(name, None, None, str(M.MSG_EMPTY_FILE)))
    kind = _kind(file.data, name)
    if kind == "bad-xlsx":
        raise FileProblem(CellError(name, None, None, str(M.MSG_CORRUPT_XLSX)))
    if kind == "bad-xls":
        raise FileProblem(CellError(name, None, None, str(M.MSG_CORRUPT_XLS)))
    if kind == "xlsx":
        grid = xlsx_grid(file.data, name, sheet=sheet, limits=limits, head=head)
        decimal = "."
    elif kind == "xls":
        grid = xls_grid(file.data, name, sheet=sheet, limits=limits, head=head)
        decimal = "."
    else:
        problem = limits.uncompressed_problem(len(file.data))
        if problem:
            raise FileProblem(CellError(name, None, None, problem))
        text = _decode(file.data, name)
        nul = text.find("\x00")
        if nul >= 0:  # the CSV reader would cut the cell there ("12<NUL>5" read as 12)
            raise FileProblem(CellError(name, text.count("\n", 0, nul) + 1, None, str(M.MSG_NUL_CHARACTER)))
        if not text.strip():
            raise FileProblem(CellError(name, None, None, str(M.MSG_EMPTY_FILE)))
        delimiter = _delimiter(text)
        try:
            grid = csv_grid(text, name, delimiter=delimiter, limits=limits, head=head)
        except pd.errors.ParserError as exc:
            found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
            if found:
                expected, line, saw = found.groups()
                raise FileProblem(CellError(name, int(line), None, str(
                    M.MSG_RAGGED_ROW % {"cells": saw, "expected": expected}))) from exc
            raise FileProblem(CellError(name, None, None, str(M.MSG_NOT_A_TABLE))) from exc
        except ValueError as exc:
            raise FileProblem(CellError(name, None, None, str(M.MSG_NOT_A_TABLE))) from exc
        decimal = _detect_decimal(grid, delimiter)
    grid.index = pd.RangeIndex(1, len(grid) + 1)
    if skip_rows:
        grid = grid.iloc[skip_rows:]
    return grid, decimal


_COMMA_DECIMAL = re.compile(r"^[+-]?(\d{1,3}(\.\d{3})+,\d+|\d+,\d{1,2}|\d+,\d{4,})$")
_POINT_DECIMAL = re.compile(r"^[+-]?(\d{1,3}(,\d{3})+\.\d+|\d+\.\d{1,2}|\d+\.\d{4,})$")


def _detect_decimal(grid: pd.DataFrame, delimiter: str) -> str:
    if delimiter == ",":
        return "."
    sample = grid.iloc[:2000].to_numpy().ravel()
    comma = point = 0
    for cell in sample:
        if isinstance(cell, str):
            if _COMMA_DECIMAL.match(cell.strip()):
                comma += 1
            elif _POINT_DECIMAL.match(cell.strip()):
                point += 1
    return "," if comma > point else "."


# --- Tables with a header -----------------------------------------------------------

def header_text(value) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return re.sub(r"\s+", " ", str(value)).strip()


@dataclass
class Table:
    """Rows below a header: ``frame`` columns are the header texts, its index the
    spreadsheet row numbers."""

    file: str
    frame: pd.DataFrame
    header_row: int
    decimal: str = "."
    errors: list[CellError] = field(default_factory=list)
    missing_markers: int = 0  # cells such as "NA", "-" or ".." read as missing (cells.parse_numbers)
    missing_values: int = 0  # cells of a column of values read as missing: empty or a marker

    def error(self, row, column, problem):
        self.errors.append(CellError(self.file, int(row) if row is not None else None, column, str(problem)))

    def find(self, *candidates: str, required=True) -> str | None:
        """The header that matches one of ``candidates`` (case and accents ignored)."""
        wanted = [fold(c) for c in candidates]
        for column in self.frame.columns:
            if fold(column) in wanted:
                return column
        for column in self.frame.columns:  # then prefixes: "Pobreza Monetaria -Mapa…"
            if any(fold(column).startswith(w) for w in wanted):
                return column
        if required:
            raise FileProblem(CellError(self.file, None, None, str(M.MSG_MISSING_COLUMN % {
                "row": self.header_row,
                "column": candidates[0],
                "found": ", ".join(f"“{c}”" for c in self.frame.columns if c) or "—",
            })))
        return None


def fold(text: str) -> str:
    import unicodedata

    text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9%]+", " ", text.lower()).strip()


def table_from_grid(grid: pd.DataFrame, file: str, *, header_row: int, decimal: str = ".",
                    stop_at_blank_key: str | None = None) -> Table:
    """``header_row`` is the spreadsheet row number of the header."""
    if header_row not in grid.index:
        raise FileProblem(CellError(file, None, None, str(M.MSG_EMPTY_FILE)))
    header = [header_text(v) for v in grid.loc[header_row]]
    # Unique, non-empty names: blank headers become "column 3", repeats get a suffix.
    names, seen = [], {}
    for i, text in enumerate(header, start=1):
        text = text or f"column {i}"
        if text in seen:
            seen[text] += 1
            text = f"{text} ({seen[text]})"
        else:
            seen[text] = 1
        names.append(text)
    body = grid.loc[header_row + 1:].copy()
    body.columns = names
    body = body.dropna(how="all")
    if body.empty:
        raise FileProblem(CellError(file, None, None, str(M.MSG_HEADER_ONLY % {"row": header_row})))
    return Table(file=file, frame=body, header_row=header_row, decimal=decimal)


def find_header_row(grid: pd.DataFrame, file: str, *columns: str, within: int = 15) -> int:
    """The first row (of the first ``within``) whose cells include every name in ``columns``."""
    wanted = [fold(c) for c in columns]
    for row_number in grid.index[:within]:
        cells = {fold(header_text(v)) for v in grid.loc[row_number]}
        if all(any(cell == w or cell.startswith(w) for cell in cells) for w in wanted):
            return int(row_number)
    raise FileProblem(CellError(file, None, None, str(M.MSG_NO_HEADER % {
        "columns": ", ".join(f"“{c}”" for c in columns), "rows": within})))


# --- Cells ---------------------------------------------------------------------------
