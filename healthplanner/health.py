"""Liveness and readiness for load balancers, orchestrators and people.

``/healthz`` answers 200 while the process can serve a request; it touches nothing else
(no database, no cache), so a database outage never gets the web process restarted.
``/readyz`` checks what a request needs: the database, the cache, django-q2's broker (the
ORM broker: the queue table) and whatever the apps register with ``register_check`` (the
modeling app: an active model version). Any failure answers 503 with ``Retry-After``.

Both answer JSON: ``{"status": "ok" | "unavailable", "checks": {name: {"ok": bool,
"ms": float, "detail": str}}}``.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.core.cache import caches
from django.db import connections
from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from healthplanner.api.exceptions import RETRY_AFTER_SECONDS

__all__ = ["CheckFailed", "register_check", "readiness", "healthz", "readyz"]

_CHECKS: dict[str, Callable[[], str]] = {}
logger = logging.getLogger(__name__)


class CheckFailed(Exception):
    """A readiness check that ran but found its component not ready (``str(exc)`` says why)."""


def register_check(name: str, check: Callable[[], str]) -> None:
    """Add a readiness check: ``check()`` returns a short detail or raises (``CheckFailed``
    for a known state, anything else for a fault). Apps register theirs in ``ready()``."""
    _CHECKS[name] = check


def _database():
    for alias in settings.DATABASES:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")
    return _("answers")


def _cache():
    cache = caches["default"]
    key = "healthplanner:readyz"
    cache.set(key, "1", timeout=10)
    if cache.get(key) != "1":
        raise CheckFailed(_("The cache did not return the value just written."))
    return _("answers")


def _broker():
    from django_q.brokers import get_broker

    broker = get_broker()
    if not broker.ping():
        raise CheckFailed(_("The task queue does not answer."))
    return _("%(count)s tasks waiting") % {"count": broker.queue_size()}


BUILT_IN = {"database": _database, "cache": _cache, "broker": _broker}


def readiness() -> tuple[bool, dict]:
    """Run every check; (all passed, {name: result})."""
    results, ready = {}, True
    for name, check in {**BUILT_IN, **_CHECKS}.items():
        started = time.monotonic()
        try:
            detail, ok = str(check()), True
        except CheckFailed as exc:
            detail, ok = str(exc), False
        except Exception as exc:  # noqa: BLE001 - a readiness probe reports faults, it does not raise them
            # The exception's text (addresses, names) goes to the log, not to an anonymous probe.
            logger.warning("readiness check %s failed: %s: %s", name, type(exc).__name__, exc)
            detail, ok = _("does not answer (%(error)s)") % {"error": type(exc).__name__}, False
        ready = ready and ok
        results[name] = {"ok": ok, "ms": round((time.monotonic() - started) * 1000, 1), "detail": detail}
        if name == "database" and not ok:
            # Nothing else can be judged without the database (the broker is its table).
            for rest in [*[n for n in BUILT_IN if n != "database"], *_CHECKS]:
                results.setdefault(rest, {"ok": False, "ms": 0.0, "detail": _("not checked: the database is down")})
            break
    return ready, results


@never_cache
@require_safe
def healthz(request):
    return JsonResponse({"status": "ok"})


@never_cache
@require_safe
def readyz(request):
    ready, results = readiness()
    response = JsonResponse({"status": "ok" if ready else "unavailable", "checks": results},
                            status=200 if ready else 503)
    if not ready:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
