"""Request parsers: JSON with a nesting limit, so a deeply nested body is a 400 in the API's
error shape instead of a RecursionError (500)."""
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

__all__ = ["LimitedJSONParser", "MAX_JSON_DEPTH", "MSG_TOO_DEEP"]

# No request body of this API nests deeper than a handful of levels (a plan's constraints
# are four); 32 leaves room and stays far below Python's recursion limit.
MAX_JSON_DEPTH = 32
MSG_TOO_DEEP = _("The JSON body nests deeper than %(depth)s levels.")


def _depth_exceeds(value, limit) -> bool:
    """Whether ``value`` nests deeper than ``limit`` (iterative: no recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


class LimitedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(MSG_TOO_DEEP % {"depth": MAX_JSON_DEPTH}) from None
        if _depth_exceeds(data, MAX_JSON_DEPTH):
            raise ParseError(MSG_TOO_DEEP % {"depth": MAX_JSON_DEPTH})
        return data
