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

__all__ = ["csv_grid", "unpacked_size", "xls_grid", "xlsx_grid"]

_ERROR_CODES = frozenset({"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A"})
# A sheet's root element, with the namespace prefix its elements carry (usually none).
_ROOT = re.compile(rb"<(\w+:)?worksheet[\s>]")
_SCAN_CHUNK = 1024 * 1024
_SCAN_OVERLAP = 32


def _problem(name: str, text: str | None) -> None:
    if text is not None:
        raise FileProblem(CellError(name, None, None, text))


def _check_time(name: str, limits: ImportLimits) -> None:
    _problem(name, limits.time_problem())


# --- XLSX ----------------------------------------------------------------------------

def _cells_in(data: bytes, prefix: bytes) -> int:
    return sum(data.count(b"<" + prefix + b"c" + end) for end in (b" ", b">", b"/"))


def _scan_sheet(archive: zipfile.ZipFile, member: str, name: str, limits: ImportLimits) -> int:
    """Count the rows and cells of a sheet's XML while unpacking it in chunks (nothing is
    kept): a row of ten million cells is refused before any parser builds it. Returns the
    number of rows."""
    rows = cells = in_row = widest = 0
    prefix, row_tag = None, None
    # A row can only be too wide where its cells take this many bytes (a cell is 4 at least).
    wide = 4 * limits.max_columns
    tail = b""
    with archive.open(member) as stream:
        while True:
            chunk = stream.read(_SCAN_CHUNK)
            buffer = tail + chunk
            if prefix is None:
                found = _ROOT.search(buffer)
                prefix = found.group(1) or b"" if found else b""
                row_tag = re.compile(rb"<" + re.escape(prefix) + rb"row[\s/>]")
            # A tag cut by the chunk's end is counted with the next chunk.
            cut = buffer.rfind(b"<") if chunk else len(buffer)
            if cut < len(buffer) - _SCAN_OVERLAP:
                cut = len(buffer)
            start = 0
            for match in row_tag.finditer(buffer, 0, cut):
                if start == 0 or match.start() - start > wide:
                    in_row += _cells_in(buffer[start:match.start()], prefix)
                    widest = max(widest, in_row)
                rows += 1
                in_row = 0
                start = match.start()
            in_row += _cells_in(buffer[start:cut], prefix)  # the last row goes on in the next chunk
            widest = max(widest, in_row)
            cells += _cells_in(buffer[:cut], prefix)
            _problem(name, limits.shape_problem(rows, widest, cells))
            _check_time(name, limits)
            if not chunk:
                return rows
            tail = buffer[cut:]


def _xlsx_value(value):
    if value is None:
        return np.nan
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
    if isinstance(value, str) and (value == "" or value in _ERROR_CODES):
        return np.nan
    return value


def unpacked_size(data: bytes) -> int:
    """What a file unpacks to: an XLSX's declared sizes summed, other files their length."""
    if data[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                return sum(info.file_size for info in archive.infolist())
        except (zipfile.BadZipFile, ValueError, OSError, EOFError):
            return len(data)
    return len(data)


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
    # Every sheet is counted before openpyxl opens the workbook: opening parses each sheet
    # that declares no dimension, whichever sheet is read.
    expected = 1
    try:
        for member in archive.namelist():
            if member.startswith("xl/worksheets/") and member.endswith(".xml"):
                expected = max(expected, _scan_sheet(archive, member, name, limits))
    except FileProblem:
        raise
    except Exception:  # noqa: BLE001 - a sheet that cannot be unpacked is a damaged workbook
        raise corrupt from None
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
    except Exception:  # noqa: BLE001 - any failure to open means a damaged workbook
        raise corrupt from None
    try:
        sheets = book.sheetnames
        if sheet is not None and sheet not in sheets:
            _problem(name, str(M.MSG_NO_SHEET % {"sheet": sheet, "sheets": ", ".join(sheets)}))
        worksheet = book[sheet if sheet is not None else sheets[0]]
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
