"""CSV output for list endpoints (``?format=csv``), and XLSX where an endpoint offers it
(``?format=xlsx``). Any body a view answers renders: an object is one row, a list of
objects one row each, a list or a value that is not an object one row of ``value``;
nested values are their JSON text. Every cell goes through
``healthplanner.exports.safe_cell``."""
import csv
import io
import json
import re
from collections.abc import Mapping
from decimal import Decimal

from openpyxl import Workbook
from rest_framework import renderers

from ..exports import _xlsx_cell as _excel_cell
from ..exports import safe_cell

__all__ = ["CSVRenderer", "XLSXRenderer"]

DECIMAL_TEXT = re.compile(r"^-?[0-9]+\.[0-9]+$")  # a DecimalField's text ("1234.50"), never a UBIGEO code


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, (dict, list, tuple)):
        # default=str: numbers as Decimal, dates and translated labels (an OPTIONS body's
        # metadata holds all three) become their text.
        value = json.dumps(value, ensure_ascii=False, default=str)
    return safe_cell(value)


class CSVRenderer(renderers.BaseRenderer):
    """One header line, then one line per object; a paginated body renders its
    ``results`` (page through with ``page`` as in JSON)."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def table(self, data, renderer_context):
        """(header, rows) of a body: a paginated body's ``results``, a list, or one object;
        each row a mapping with text keys."""
        if isinstance(data, Mapping) and isinstance(data.get("results"), list):
            rows = data["results"]
        elif isinstance(data, (list, tuple)):
            rows = data
        else:
            rows = [data]
        rows = [{str(k): v for k, v in row.items()} if isinstance(row, Mapping) else {"value": row}
                for row in rows]
        header = []
        for row in rows:
            for key in row:
                if key not in header:
                    header.append(key)
        if not header:
            header = self._empty_header(renderer_context or {})
        return header, rows

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        header, rows = self.table(data, renderer_context)
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        if header:
            writer.writerow([safe_cell(key) for key in header])
        for row in rows:
            writer.writerow([_cell(row.get(key)) for key in header])
        return out.getvalue().encode(self.charset)

    @staticmethod
    def _empty_header(renderer_context):
        """With no rows, the header still names the columns."""
        view = renderer_context.get("view")
        request = renderer_context.get("request")
        if view is None:
            return []
        if request is not None and request.query_params.get("layout") == "wide":
            return ["community", "community_id", "community_name", "year"]
        try:
            fields = view.get_serializer().fields
        except Exception:  # a view without a serializer: nothing to name
            return []
        return [name for name, field in fields.items() if not field.write_only]


def _xlsx_cell(value):
    if isinstance(value, str) and DECIMAL_TEXT.match(value):
        return float(Decimal(value))
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    # The admin's XLSX rule: no control characters, line feeds, Excel's cell length.
    return _excel_cell(_cell(value))


class XLSXRenderer(CSVRenderer):
    """The same table as the CSV, as one XLSX sheet; amounts (DecimalField text) become numbers."""

    media_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    format = "xlsx"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        header, rows = self.table(data, renderer_context)
        book = Workbook(write_only=True)
        sheet = book.create_sheet("data")
        if header:
            sheet.append([safe_cell(h) for h in header])
        for row in rows:
            sheet.append([_xlsx_cell(row.get(key)) for key in header])
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()
