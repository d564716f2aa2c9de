"""One error body for every API error, and no 500 for anything a client can send.

Every error is ``{"status": <int>, "code": "<stable code>", "detail": "<text>"}``, plus
``"errors": {field: [messages]}`` for invalid input (400).
"""
import sys

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError, InterfaceError, OperationalError
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext_lazy as _
from django.views import defaults
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import set_rollback

__all__ = [
    "MSG_INVALID",
    "MSG_PROTECTED",
    "MSG_CONFLICT",
    "MSG_TOO_LARGE",
    "MSG_BAD_VALUE",
    "MSG_UNAVAILABLE",
    "MSG_SERVER_ERROR",
    "RETRY_AFTER_SECONDS",
    "api_exception_handler",
    "page_not_found",
    "server_error",
]

# Seconds a client should wait before retrying when the database does not answer.
RETRY_AFTER_SECONDS = 30

MSG_INVALID = _("The request has invalid fields: see errors.")
MSG_PROTECTED = _(
    "This %(model)s cannot be deleted: %(blockers)s still refer to it. "
    "Delete or move those first."
)
MSG_CONFLICT = _("The request conflicts with the data already stored (e.g. a duplicate).")
MSG_TOO_LARGE = _("The request body is too large.")
MSG_BAD_VALUE = _("A value in the request is out of range or malformed.")
MSG_UNAVAILABLE = _("The service is temporarily unavailable (the database does not answer): try again shortly.")
MSG_SERVER_ERROR = _("The server failed to answer this request; the error has been logged.")
# Connection-level failures: the database is down, unreachable or restarting.
UNAVAILABLE_ERRORS = (OperationalError, InterfaceError)


def _body(status_code, code, detail, errors=None):
    body = {"status": status_code, "code": code, "detail": str(detail)}
    if errors is not None:
        body["errors"] = errors
    return body


def _field_errors(detail):
    """DRF's nested error detail → {field: [messages]} (nested fields joined by dots)."""
    out = {}

    def walk(prefix, value):
        if isinstance(value, dict):
            for key, item in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), item)
        elif isinstance(value, list) and value and not all(isinstance(v, (str, exceptions.ErrorDetail)) for v in value):
            for index, item in enumerate(value):
                walk(f"{prefix}.{index}" if prefix else str(index), item)
        else:
            messages = value if isinstance(value, list) else [value]
            out.setdefault(prefix or api_settings.NON_FIELD_ERRORS_KEY, []).extend(str(m) for m in messages)

    walk("", detail)
    return out


def _blockers(exc):
    """'8 indicator values, 1 intervention type': what still refers to the object."""
    objects = exc.protected_objects if isinstance(exc, ProtectedError) else exc.restricted_objects
    counts = {}
    for obj in objects:
        counts[obj._meta] = counts.get(obj._meta, 0) + 1
    # Sorted by name: the collector's order is not stable between runs.
    return ", ".join(
        f"{n} {meta.verbose_name if n == 1 else meta.verbose_name_plural}"
        for meta, n in sorted(counts.items(), key=lambda item: str(item[0].verbose_name))
    )


def _unavailable_response():
    return Response(_body(503, "unavailable", MSG_UNAVAILABLE), status=503,
                    headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


def api_exception_handler(exc, context):
    headers = {}
    if isinstance(exc, UNAVAILABLE_ERRORS):
        return _unavailable_response()
    if isinstance(exc, (DjangoValidationError, serializers.ValidationError)):
        if isinstance(exc, DjangoValidationError):
            exc = serializers.ValidationError(serializers.as_serializer_error(exc))
        set_rollback()
        return Response(
            _body(400, "invalid", MSG_INVALID, _field_errors(exc.detail)), status=400
        )
    if isinstance(exc, (ProtectedError, RestrictedError)):
        set_rollback()
        view = context.get("view")
        model = getattr(getattr(view, "queryset", None), "model", None)
        detail = MSG_PROTECTED % {
            "model": model._meta.verbose_name if model else _("object"),
            "blockers": _blockers(exc),
        }
        return Response(_body(409, "protected", detail), status=409)
    if isinstance(exc, IntegrityError):
        set_rollback()
        return Response(_body(409, "conflict", MSG_CONFLICT), status=409)
    if isinstance(exc, DataError):
        set_rollback()
        return Response(_body(400, "bad_value", MSG_BAD_VALUE), status=400)
    if isinstance(exc, (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent)):
        return Response(_body(413, "too_large", MSG_TOO_LARGE), status=413)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if not isinstance(exc, exceptions.APIException):
        return None  # a server fault: Django's 500 handling and logging

    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))
    detail = exc.detail
    if isinstance(detail, (dict, list)):
        text = _field_errors(detail)
        text = next(iter(text.values()))[0] if text else exc.default_detail
    else:
        text = detail
    code = detail.code if hasattr(detail, "code") else exc.default_code
    set_rollback()
    return Response(_body(exc.status_code, code, text), status=exc.status_code, headers=headers)


def page_not_found(request, exception=None):
    """Django's 404 handler: paths under /api/ that match no route get the API's error
    body; every other path Django's own page."""
    if request.path.startswith("/api/"):
        body = _body(404, "not_found", exceptions.NotFound.default_detail)
        return JsonResponse(body, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    """Django's 500 handler: under /api/ the API's error body (503 with ``Retry-After`` when
    the database does not answer, 500 otherwise); elsewhere Django's page, with 503 and
    ``Retry-After`` for a database outage."""
    unavailable = isinstance(sys.exc_info()[1], UNAVAILABLE_ERRORS)
    if request.path.startswith("/api/"):
        if unavailable:
            response = JsonResponse(_body(503, "unavailable", MSG_UNAVAILABLE), status=503)
        else:
            response = JsonResponse(_body(500, "server_error", MSG_SERVER_ERROR), status=500)
    else:
        response = defaults.server_error(request)
        if unavailable:
            response.status_code = 503
    if unavailable:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
