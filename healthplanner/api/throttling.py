"""Throttles whose rates are read at request time (settings may change in tests), and the
failed-authentication throttle by client address (``middleware.py``).

Every count lives in the default cache: with ``REDIS_URL`` set it is Redis, shared by all
gunicorn workers and hosts, so a rate holds for the whole deployment, not per process.
"""
import contextlib
import math
import time

from django.core.cache import cache
from django.http import JsonResponse
from django.utils.translation import gettext_lazy as _
from redis.exceptions import LockError, RedisError
from rest_framework import throttling
from rest_framework.settings import api_settings

from healthplanner.security import client_address

__all__ = [
    "AnonThrottle",
    "UserThrottle",
    "AUTH_FAILURE_SCOPE",
    "MSG_AUTH_THROTTLED",
    "auth_failure_record",
    "auth_failure_wait",
    "throttled_response",
]

AUTH_FAILURE_SCOPE = "auth_failure"
MSG_AUTH_THROTTLED = _(
    "Too many failed authentication attempts from this address. Expected available in %(wait)s seconds."
)


class _LiveRate:
    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def allow_request(self, request, view):
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        make_lock = getattr(self.cache, "lock", None)  # django-redis; not the local-memory cache
        key = self.get_cache_key(request, view) if self.rate is not None else None
        if make_lock is None or key is None:
            return super().allow_request(request, view)
        # DRF reads the client's request history, then writes it back: two workers doing
        # that at once would each count one request. One at a time per client, in Redis;
        # should Redis not hand the lock over in time, count without it.
        lock = make_lock(f"{key}_lock", timeout=2, sleep=0.002, blocking_timeout=2)
        try:
            acquired = lock.acquire()
        except (LockError, RedisError):
            acquired = False
        try:
            return super().allow_request(request, view)
        finally:
            if acquired:
                with contextlib.suppress(LockError, RedisError):
                    lock.release()

    def get_ident(self, request):
        # The same address as the failed-authentication throttle and the admin lockout.
        return client_address(request)


class AnonThrottle(_LiveRate, throttling.AnonRateThrottle):
    pass


class UserThrottle(_LiveRate, throttling.UserRateThrottle):
    pass


def _auth_failure_window():
    """(limit, window length in seconds, this window's cache key suffix, seconds left),
    or None when the rate is not set (no limit)."""
    rate = api_settings.DEFAULT_THROTTLE_RATES.get(AUTH_FAILURE_SCOPE)
    if not rate:
        return None
    number, period = rate.split("/")
    limit, duration = int(number), {"s": 1, "m": 60, "h": 3600, "d": 86400}[period[0]]
    now = time.time()
    window = int(now // duration)
    return limit, duration, window, (window + 1) * duration - now


def _key(request, window) -> str:
    return f"throttle_{AUTH_FAILURE_SCOPE}_{client_address(request)}_{window}"


def auth_failure_wait(request) -> int | None:
    """Seconds until this client address may try again, or None when it may now."""
    current = _auth_failure_window()
    if current is None:
        return None
    limit, _duration, window, left = current
    if cache.get(_key(request, window), 0) >= limit:
        return max(1, math.ceil(left))
    return None


def auth_failure_record(request) -> None:
    """Count one refused authentication for this client address (atomic in Redis: every
    worker's failures add up)."""
    current = _auth_failure_window()
    if current is None:
        return
    _limit, duration, window, _left = current
    key = _key(request, window)
    cache.add(key, 0, timeout=duration + 1)
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=duration + 1)


def throttled_response(wait: int) -> JsonResponse:
    """The API's 429 body (healthplanner/api/exceptions.py) with Retry-After."""
    body = {"status": 429, "code": "throttled", "detail": str(MSG_AUTH_THROTTLED % {"wait": wait})}
    response = JsonResponse(body, status=429)
    response["Retry-After"] = str(wait)
    return response
