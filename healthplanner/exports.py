"""Safe cells for every export a person opens in a spreadsheet (the API's CSV, the admin's
CSV and XLSX): text that a spreadsheet would run as a formula is kept text, and control
characters that break XLSX files are replaced."""
import re

from import_export.formats import base_formats

__all__ = ["FORMULA_PREFIXES", "safe_cell", "SafeCSV", "SafeXLSX"]

# A cell beginning with one of these is a formula (or a DDE payload) in Excel, LibreOffice
# and Google Sheets.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# Control characters XLSX (XML 1.0) cannot hold; tab, line feed and carriage return stay.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def safe_cell(value):
    """``value`` as a spreadsheet should show it: text starting like a formula gets a
    leading apostrophe (shown as text, never run); control characters become U+FFFD.
    Numbers, dates and None pass unchanged."""
    if not isinstance(value, str):
        return value
    value = CONTROL.sub("\N{REPLACEMENT CHARACTER}", value)
    if value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _safe_dataset(dataset):
    rows = [[safe_cell(cell) for cell in row] for row in dataset]
    headers = [safe_cell(h) for h in (dataset.headers or [])]
    dataset.wipe()
    dataset.headers = headers or None
    for row in rows:
        dataset.append(row)


class SafeCSV(base_formats.CSV):
    def export_data(self, dataset, **kwargs):
        _safe_dataset(dataset)
        return super().export_data(dataset, **kwargs)


class SafeXLSX(base_formats.XLSX):
    def export_data(self, dataset, **kwargs):
        _safe_dataset(dataset)
        return super().export_data(dataset, **kwargs)
