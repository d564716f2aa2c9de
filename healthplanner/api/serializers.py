"""Serializers shared by every app's API: the one error body, stored messages."""
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from healthplanner.i18n import localize

__all__ = ["CodeRelatedField", "ErrorSerializer", "LocalizedCharField"]

MSG_NUL = _("Null characters are not allowed.")


class LocalizedCharField(serializers.CharField):
    """A stored message (a reason, a log line) in the request's language (healthplanner/i18n.py)."""

    def to_representation(self, value):
        return localize(super().to_representation(value))


class ErrorSerializer(serializers.Serializer):
    """The body of every error response."""

    status = serializers.IntegerField(help_text=_("The HTTP status code."))
    code = serializers.CharField(help_text=_("A stable machine-readable code, e.g. invalid, not_found."))
    detail = serializers.CharField(help_text=_("A human-readable summary."))
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text=_("Field errors (400 only): field name → messages."),
    )


class CodeRelatedField(serializers.SlugRelatedField):
    """A related object named by its code (or name): a NUL character in the value is refused
    with the same message as in any text field (DRF's own field answers "Invalid value.",
    after the database refused the look-up)."""

    def to_internal_value(self, data):
        if isinstance(data, str) and "\x00" in data:
            self.fail("null_characters")
        return super().to_internal_value(data)

    default_error_messages = {**serializers.SlugRelatedField.default_error_messages, "null_characters": MSG_NUL}
