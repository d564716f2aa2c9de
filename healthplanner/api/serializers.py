"""Serializers shared by every app's API: the one error body, stored messages."""
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from healthplanner.i18n import localize

__all__ = ["ErrorSerializer", "LocalizedCharField"]


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
