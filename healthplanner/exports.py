"""Safe cells for every export a person opens in a spreadsheet (the API's CSV, the admin's
CSV and XLSX): text that a spreadsheet would run as a formula is kept text, and control
characters that break XLSX files are replaced.

``safe_cell`` is the one rule; ``SafeCSV`` and ``SafeXLSX`` are the admin's export formats
(django-import-export) and ``healthplanner.api.renderers.CSVRenderer`` is the API's CSV. All
of them pass every cell, headers included, through ``safe_cell``."""
import re

from django.utils.functional import Promise
from import_export.formats import base_formats

__all__ = ["FORMULA_PREFIXES", "XLSX_MAX_CELL", "safe_cell", "SafeCSV", "SafeXLSX"]

# A cell beginning with one of these is a formula (or a DDE payload) in Excel, LibreOffice
# and Google Sheets (OWASP, "CSV Injection").
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# Characters XLSX (XML 1.0) cannot hold: C0 controls but tab, line feed and carriage return;
# DEL; the non-characters U+FFFE and U+FFFF.
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
# A plain number written as text ("-12.05", "+51", "-0,5" in Spanish): a spreadsheet reads it
# as that number, never as a formula, so it is left as it is (coordinates are negative in Peru).
PLAIN_NUMBER = re.compile(r"[+-]?[0-9]+(?:[.,][0-9]+)?(?:[eE][+-]?[0-9]+)?")
# Excel refuses a file with a longer text cell (it "repairs" it by dropping the sheet's data).
XLSX_MAX_CELL = 32767


def safe_cell(value):
    """``value`` as a spreadsheet should show it: text starting like a formula (``= + - @``,
    tab, carriage return) gets a leading apostrophe, the OWASP rule (shown as text, never
    run; ``==1+1`` becomes ``'==1+1``, not ``=1+1``); control characters become U+FFFD.
    Numbers, dates, None and plain numbers written as text pass unchanged."""
    if isinstance(value, Promise):
        value = str(value)
    if not isinstance(value, str):
        return value
    value = CONTROL.sub("\N{REPLACEMENT CHARACTER}", value)
    if value.startswith(FORMULA_PREFIXES) and not PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def _xlsx_cell(value):
    """``safe_cell`` and what else an XLSX cell needs: text no longer than Excel accepts, line
    breaks as line feeds (XML reads a carriage return back as one anyway), and anything
    openpyxl cannot store (a dict, a list) as its text."""
    if isinstance(value, (dict, list, tuple, set)):
        value = str(value)
    value = safe_cell(value)
    if isinstance(value, str) and "\r" in value:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    if isinstance(value, str) and len(value) > XLSX_MAX_CELL:
        value = value[: XLSX_MAX_CELL - 1] + "\N{HORIZONTAL ELLIPSIS}"
    return value


def _safe_dataset(dataset, cell=safe_cell):
    rows = [[cell(value) for value in row] for row in dataset]
    headers = [cell(h) for h in (dataset.headers or [])]
    dataset.wipe()
    dataset.headers = headers or None
    for row in rows:
        dataset.append(row)


class SafeCSV(base_formats.CSV):
    """The admin's CSV: inert cells, and a UTF-8 byte-order mark first, so a spreadsheet
    program (Excel on Windows) reads "Áncash" and "Huánuco" rather than mojibake."""

    def export_data(self, dataset, **kwargs):
        _safe_dataset(dataset)
        return "\ufeff" + super().export_data(dataset, **kwargs)


class SafeXLSX(base_formats.XLSX):
    """Text cells are strings (after ``safe_cell`` none starts with ``=``, the only thing
    openpyxl writes as a formula); numbers and dates stay numbers and dates."""

    def export_data(self, dataset, **kwargs):
        _safe_dataset(dataset, _xlsx_cell)
        return super().export_data(dataset, **kwargs)


# django-import-export exports numbers and dates as native values only for the formats listed
# here, and it compares exact classes: without this, every number in our XLSX would be text.
if SafeXLSX not in base_formats.BINARY_FORMATS:
    base_formats.BINARY_FORMATS.append(SafeXLSX)
