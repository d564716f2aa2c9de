"""Reading a file's cells within its :class:`~.limits.ImportLimits`: an XLSX sheet streamed
row by row (after its zip's declared sizes and the sheet's shape are checked, before
anything is unpacked into memory), an XLS sheet checked by its dimensions, a CSV read in
chunks. Each stops at the first limit it reaches with a :class:`FileProblem`."""
from __future__ import annotations

import csv
import io
import re
import zipfile

import numpy as np
import pandas as pd

from . import messages as M
from .limits import CHECK_EVERY_ROWS, ImportLimits
from .reading import CellError, FileProblem

__all__ = ["csv_grid", "xls_grid", "xlsx_grid"]

_ERROR_CODES = frozenset({"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A"})
# The start of a row or a cell element in a sheet's XML (any namespace prefix).
_TAG = re.compile(rb"<(?:\w+:)?(row|c)[\s/>]")
_SCAN_CHUNK = 1024 * 1024
_SCAN_OVERLAP = 32


def _problem(name: str, text: str | None) -> None:
    if text is not None:
        raise FileProblem(CellError(name, None, None, text))


def _check_time(name: str, limits: ImportLimits) -> None:
    _problem(name, limits.time_problem())


# --- XLSX ----------------------------------------------------------------------------

def _scan_sheet(archive: zipfile.ZipFile, member: str, name: str, limits: ImportLimits) -> int:
    """Count the rows and cells of a sheet's XML while unpacking it in chunks (nothing is
    kept): a row of ten million cells is refused before any parser builds it. Returns the
    number of rows."""
    rows = cells = in_row = widest = 0
    tail = b""
    with archive.open(member) as stream:
        while True:
            chunk = stream.read(_SCAN_CHUNK)
            buffer = tail + chunk
            # A tag cut by the chunk's end is counted with the next chunk.
            limit = max(0, len(buffer) - _SCAN_OVERLAP) if chunk else len(buffer)
            for match in _TAG.finditer(buffer):
                if match.start() >= limit:
                    break
                if match.group(1) == b"row":
                    rows += 1
                    in_row = 0
                else:
                    cells += 1
                    in_row += 1
                    widest = max(widest, in_row)
            _problem(name, limits.shape_problem(rows, widest, cells))
            _check_time(name, limits)
            if not chunk:
                return rows
            tail = buffer[limit:]


def _xlsx_value(value):
    if value is None:
        return np.nan
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
    if isinstance(value, str) and (value == "" or value in _ERROR_CODES):
        return np.nan
    return value


def xlsx_grid(data: bytes, name: str, *, sheet: str | None, limits: ImportLimits, head: int | None = None):
    """The sheet's cells (the first, or ``sheet``) as a grid of objects."""
    from openpyxl import load_workbook

    corrupt = FileProblem(CellError(name, None, None, str(M.MSG_CORRUPT_XLSX)))
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        declared = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        raise corrupt from None
    # The sizes a zip declares bound what unpacking it yields (zipfile stops there and
    # fails the CRC check), so they are checked before anything is unpacked.
    _problem(name, limits.uncompressed_problem(declared))
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
    except Exception:  # noqa: BLE001 - any failure to open means a damaged workbook
        raise corrupt from None
    try:
        sheets = book.sheetnames
        if sheet is not None and sheet not in sheets:
            _problem(name, str(M.MSG_NO_SHEET % {"sheet": sheet, "sheets": ", ".join(sheets)}))
        worksheet = book[sheet if sheet is not None else sheets[0]]
        member = getattr(worksheet, "_worksheet_path", None)
        members = [member] if member in archive.namelist() else [
            n for n in archive.namelist() if n.startswith("xl/worksheets/") and n.endswith(".xml")]
        expected = 1
        if head is None:
            for member in members:
                expected = max(expected, _scan_sheet(archive, member, name, limits))
        worksheet.reset_dimensions()  # the declared dimension may lie: read the cells themselves
        grid, cells, widest = [], 0, 0
        for index, row in enumerate(worksheet.iter_rows(values_only=True), start=1):
            width = len(row)
            while width and (row[width - 1] is None or row[width - 1] == ""):
                width -= 1
            cells += width
            widest = max(widest, width)
            _problem(name, limits.shape_problem(index, widest, cells))
            grid.append([_xlsx_value(v) for v in row[:width]])
            if head is not None and index >= head:
                break
            if index % CHECK_EVERY_ROWS == 0:
                _check_time(name, limits)
                limits.report(index / expected)
    except FileProblem:
        raise
    except Exception:  # noqa: BLE001 - a sheet that cannot be parsed is a damaged workbook
        raise corrupt from None
    finally:
        book.close()
    while grid and not grid[-1]:
        grid.pop()  # spreadsheets keep empty rows at the end
    return pd.DataFrame(grid, dtype=object).fillna(np.nan) if grid else pd.DataFrame(dtype=object)


# --- XLS -----------------------------------------------------------------------------

def xls_grid(data: bytes, name: str, *, sheet: str | None, limits: ImportLimits, head: int | None = None):
    import xlrd

    corrupt = FileProblem(CellError(name, None, None, str(M.MSG_CORRUPT_XLS)))
    _problem(name, limits.uncompressed_problem(len(data)))
    try:
        book = xlrd.open_workbook(file_contents=data, on_demand=True)
    except Exception:  # noqa: BLE001
        raise corrupt from None
    try:
        sheets = book.sheet_names()
        if sheet is not None and sheet not in sheets:
            _problem(name, str(M.MSG_NO_SHEET % {"sheet": sheet, "sheets": ", ".join(sheets)}))
        chosen = sheet if sheet is not None else sheets[0]
        found = book.sheet_by_name(chosen)
        rows = found.nrows if head is None else min(found.nrows, head)
        _problem(name, limits.shape_problem(rows, found.ncols, rows * found.ncols))
        return pd.read_excel(book, sheet_name=chosen, header=None, dtype=object, keep_default_na=False,
                             na_values=[""], nrows=head, engine="xlrd")
    except FileProblem:
        raise
    except Exception:  # noqa: BLE001
        raise corrupt from None
    finally:
        book.release_resources()


# --- CSV -----------------------------------------------------------------------------

def _first_line_width(text: str, delimiter: str) -> int:
    end = text.find("\n")
    line = text if end < 0 else text[:end]
    try:
        return len(next(csv.reader([line], delimiter=delimiter)))
    except (csv.Error, StopIteration):
        return line.count(delimiter) + 1


def csv_grid(text: str, name: str, *, delimiter: str, limits: ImportLimits, head: int | None = None):
    """The CSV's cells, read in chunks of rows; raises pandas' ParserError as it comes."""
    width = _first_line_width(text, delimiter)
    _problem(name, limits.shape_problem(1, width, width))
    lines = text.count("\n") + 1
    chunk_rows = max(100, min(50_000, 1_000_000 // max(width, 1)))
    chunks, rows = [], 0
    with pd.read_csv(
        io.StringIO(text), sep=delimiter, header=None, dtype=str, keep_default_na=False, na_values=[""],
        skip_blank_lines=False, engine="c", quotechar='"', chunksize=chunk_rows, nrows=head,
    ) as reader:
        for chunk in reader:
            rows += len(chunk)
            _problem(name, limits.shape_problem(rows, chunk.shape[1], rows * chunk.shape[1]))
            _check_time(name, limits)
            chunks.append(chunk)
            limits.report(rows / lines)
    if not chunks:
        return pd.DataFrame(dtype=object)
    return pd.concat(chunks) if len(chunks) > 1 else chunks[0]
