"""Request parsers: JSON with a nesting limit, so a deeply nested body is a 400 in the API's
error shape instead of a RecursionError (500)."""
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from ..jsonlimits import MAX_JSON_DEPTH, depth_exceeds

__all__ = ["LimitedJSONParser", "MAX_JSON_DEPTH", "MSG_TOO_DEEP"]

MSG_TOO_DEEP = _("The JSON body nests deeper than %(depth)s levels.")


class LimitedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(MSG_TOO_DEEP % {"depth": MAX_JSON_DEPTH}) from None
        if depth_exceeds(data, MAX_JSON_DEPTH):
            raise ParseError(MSG_TOO_DEEP % {"depth": MAX_JSON_DEPTH})
        return data
