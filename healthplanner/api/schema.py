"""OpenAPI generation: every operation documents the error responses it can give, all
with the one error body; indicator values document their wide layout."""
import django_filters as filters
from django.core.validators import RegexValidator
from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema as BaseAutoSchema
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

from .filters import CommaListFilter, IdListFilter
from .serializers import ErrorSerializer

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

__all__ = ["AutoSchema", "ApiTokenScheme", "CommaListFilterExtension"]

ERROR_TEXT = {
    "400": "Invalid input: the body's `errors` maps each field to its messages.",
    "401": "No credentials, or wrong ones: send `Authorization: Token <key>`.",
    "403": "Authenticated, but this account may not do this.",
    "404": "No such object (or not visible to this account), or no such page.",
    "406": "The `format` asked for is not one this endpoint answers in (or is empty).",
    "409": "Conflict: a duplicate, or an object others still refer to.",
    "413": "The request body is too large.",
    "429": "Too many requests: wait for the seconds given in `Retry-After`.",
}

WIDE_ROW = {
    "type": "object",
    "description": "One community and year; one more property per indicator code (its value or null).",
    "properties": {
        "community": {"type": "string"},
        "community_id": {"type": "integer"},
        "community_name": {"type": "string"},
        "year": {"type": "integer"},
    },
    "required": ["community", "community_id", "community_name", "year"],
    "additionalProperties": {"type": "number", "nullable": True},
}


class AutoSchema(BaseAutoSchema):
    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        """A decimal written as a string takes at least one digit, and no minus sign where the
        field refuses negatives (drf-spectacular's pattern also admits ``""`` and ``"-"``)."""
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if (isinstance(field, serializers.DecimalField) and schema.get("format") == "decimal"
                and "pattern" in schema and field.max_whole_digits):
            sign = "" if field.min_value is not None and field.min_value >= 0 else "-?"
            fraction = fr"(?:\.\d{{1,{field.decimal_places}}})?" if field.decimal_places else ""
            schema["pattern"] = fr"^{sign}\d{{1,{field.max_whole_digits}}}{fraction}$"
        return schema

    def _error_codes(self):
        codes = ["401", "403", "404", "406", "429"]  # 406: an unknown or empty ?format=
        method = self.method.upper()
        action = getattr(self.view, "action", None)
        is_detail = action in ("retrieve", "update", "partial_update", "destroy")
        if method in ("POST", "PUT", "PATCH"):
            codes += ["400", "409", "413"]
        if method == "GET" and not is_detail:
            codes.append("400")  # a bad filter
        if method == "DELETE":
            codes.append("409")
        return sorted(set(codes))

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if getattr(self.view, "schema_public", False):
            return responses
        for code in self._error_codes():
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    OpenApiResponse(ErrorSerializer, description=ERROR_TEXT[code]), code,
                    media_types=["application/json"], direction=direction,
                )
        for response in responses.values():
            if "text/csv" in response.get("content", {}):
                response["content"]["text/csv"] = {
                    "schema": {"type": "string", "description": "CSV with a header line."}
                }
            if XLSX_MEDIA_TYPE in response.get("content", {}):
                response["content"][XLSX_MEDIA_TYPE] = {
                    "schema": {"type": "string", "format": "binary",
                               "description": "An XLSX workbook: one sheet, a header row, one row per object."}
                }
        if getattr(self.view, "wide_layout", False) and getattr(self.view, "action", None) == "list":
            for media_type, content in responses["200"].get("content", {}).items():
                if media_type != "application/json":
                    continue
                paginated = content["schema"]
                wide = {
                    "type": "object",
                    "required": ["count", "results"],
                    "properties": {
                        "count": {"type": "integer"},
                        "next": {"type": "string", "nullable": True, "format": "uri"},
                        "previous": {"type": "string", "nullable": True, "format": "uri"},
                        "results": {"type": "array", "items": WIDE_ROW},
                    },
                }
                content["schema"] = {"anyOf": [paginated, wide]}
        return responses


class CommaListFilterExtension(DjangoFilterExtension):
    """Comma-separated list filters are documented as one string parameter whose
    description says it takes a comma-separated list (as the API has always documented
    them), not as an exploded array. Every filter's schema says what the filter accepts, so
    a value the document allows is one the API takes: an id list's pattern, a number's bounds
    (``ID_BOUNDS``, ``YEAR_BOUNDS``: integers), a code's regular expression."""

    priority = 1

    def resolve_filter_field(self, auto_schema, model, filterset_class, field_name, filter_field):
        declared = filter_field
        if isinstance(filter_field, (CommaListFilter, IdListFilter)):
            filter_field = filters.CharFilter(field_name=filter_field.field_name, method=filter_field.method,
                                              label=filter_field.label, required=filter_field.extra["required"])
        parameters = super().resolve_filter_field(auto_schema, model, filterset_class, field_name, filter_field)
        for parameter in parameters:
            _bound(parameter["schema"], declared)
        return parameters


# An empty parameter filters nothing (django-filter's rule), so the patterns admit it too.
ID_LIST_PATTERN = r"^( *[0-9]{1,18} *(, *[0-9]{1,18} *)*)?$"


def _bound(schema, filter_field):
    extra = filter_field.extra
    if isinstance(filter_field, IdListFilter):
        schema["pattern"] = ID_LIST_PATTERN
    if "min_value" in extra or "max_value" in extra:
        bounds = [extra.get("min_value"), extra.get("max_value")]
        if all(isinstance(b, int) for b in bounds if b is not None):
            schema["type"] = "integer"
            schema.pop("format", None)
        if extra.get("min_value") is not None:
            schema["minimum"] = extra["min_value"]
        if extra.get("max_value") is not None:
            schema["maximum"] = extra["max_value"]
    for validator in extra.get("validators", ()):
        if isinstance(validator, RegexValidator) and not validator.inverse_match:
            schema["pattern"] = f"^$|{validator.regex.pattern}"


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """The hashed, expiring tokens (``authentication.ApiTokenAuthentication``) take the
    header DRF's tokens took, so the document keeps DRF's ``tokenAuth`` scheme."""

    target_class = "healthplanner.api.authentication.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return build_bearer_security_scheme_object(
            header_name="Authorization", token_prefix=self.target.authenticate_header(None),
        )
