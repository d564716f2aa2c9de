"""CSV output for list endpoints (``?format=csv``). Any body a view answers renders: an
object is one row, a list of objects one row each, a list or a value that is not an object
one row of ``value``; nested values are their JSON text. Every cell goes through
``healthplanner.exports.safe_cell``."""
import csv
import io
import json
from collections.abc import Mapping

from rest_framework import renderers

from ..exports import safe_cell

__all__ = ["CSVRenderer"]


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

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        if isinstance(data, Mapping) and isinstance(data.get("results"), list):
            rows = data["results"]
        elif isinstance(data, (list, tuple)):
            rows = data
        else:
            rows = [data]
        rows = [row if isinstance(row, Mapping) else {"value": row} for row in rows]
        header = []
        for row in rows:
            for key in map(str, row):
                if key not in header:
                    header.append(key)
        if not header:
            header = self._empty_header(renderer_context or {})
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        if header:
            writer.writerow([safe_cell(key) for key in header])
        for row in rows:
            cells = {str(key): value for key, value in row.items()}
            writer.writerow([_cell(cells.get(key)) for key in header])
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
