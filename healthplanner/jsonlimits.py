"""JSON nesting limits shared by the API's parser and the admin's JSON fields: a value nested
deeper than ``MAX_JSON_DEPTH`` is refused with a message, never a RecursionError (500)."""
from django import forms
from django.utils.translation import gettext_lazy as _

__all__ = ["MAX_JSON_DEPTH", "MSG_FIELD_TOO_DEEP", "LimitedJSONFormField", "depth_exceeds"]

# No value this project stores or receives nests deeper than a handful of levels (a plan's
# constraints are four, a GeoJSON multipolygon five); 32 leaves room and stays far below
# Python's recursion limit.
MAX_JSON_DEPTH = 32
MSG_FIELD_TOO_DEEP = _("This JSON nests deeper than %(depth)s levels.")


def depth_exceeds(value, limit=MAX_JSON_DEPTH) -> bool:
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


class LimitedJSONFormField(forms.JSONField):
    """Django's JSON form field, refusing deep nesting with a field error (the admin)."""

    def to_python(self, value):
        try:
            converted = super().to_python(value)
        except RecursionError:
            raise forms.ValidationError(MSG_FIELD_TOO_DEEP % {"depth": MAX_JSON_DEPTH}, code="too_deep") from None
        if depth_exceeds(converted):
            raise forms.ValidationError(MSG_FIELD_TOO_DEEP % {"depth": MAX_JSON_DEPTH}, code="too_deep")
        return converted

    def bound_data(self, data, initial):
        try:
            return super().bound_data(data, initial)
        except RecursionError:  # shown back as the text that was sent
            return forms.fields.InvalidJSONInput(data)

    def has_changed(self, initial, data):
        try:
            return super().has_changed(initial, data)
        except RecursionError:
            return True

