"""CSV output for list endpoints (``?format=csv``)."""
import csv
import io
import json

from rest_framework import renderers

from ..exports import safe_cell

__all__ = ["CSVRenderer"]


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
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
        if isinstance(data, dict) and isinstance(data.get("results"), list):
            rows = data["results"]
        elif isinstance(data, list):
            rows = data
        else:
            rows = [data]
        header = []
        for row in rows:
            for key in row:
                if key not in header:
                    header.append(key)
        if not header:
            header = self._empty_header(renderer_context or {})
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        if header:
            writer.writerow(header)
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
