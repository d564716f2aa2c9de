"""Audit row 5, in-process: the shared cache (Redis), the failed-authentication throttle by
client address, and the admin login lockout (django-axes). The same throttle across two
real gunicorn workers is tests/test_throttle_workers.py."""
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from rest_framework.test import APIClient

from healthplanner.api.throttling import MSG_AUTH_THROTTLED
from healthplanner.tokens import api_token_create
from tests.api_support import *  # noqa: F401,F403
from tests.api_support import client_for

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent


def _raw_redis():
    return redis.Redis.from_url(settings.REDIS_URL)


def _guess(client, **extra):
    return client.get("/api/v1/indicators/", HTTP_AUTHORIZATION=f"Token {secrets.token_hex(20)}", **extra)


def _api_error(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"status", "code", "detail"} and body["status"] == status
    return body


# --- The shared cache ------------------------------------------------------------------

def test_the_test_suite_caches_in_redis_like_production():
    assert settings.REDIS_URL, "the tests run with the shared cache (REDIS_URL) as production does"
    assert settings.CACHES["default"]["BACKEND"] == "django_redis.cache.RedisCache"
    cache.set("shared-probe", "seen by every process", 30)
    # Another process (here: a plain Redis connection) sees the value under the run's prefix.
    keys = _raw_redis().keys(f"{settings.CACHE_KEY_PREFIX}:*shared-probe")
    assert len(keys) == 1


def test_api_throttle_counts_in_the_shared_cache(editor, api_data):
    api = client_for(editor)
    assert api.get("/api/v1/indicators/").status_code == 200
    keys = _raw_redis().keys(f"{settings.CACHE_KEY_PREFIX}:*throttle_user_{editor.pk}")
    assert len(keys) == 1, "DRF's user throttle must count in Redis, where every worker sees it"


def test_clearing_the_cache_keeps_other_sites_and_test_runs_keys():
    other = f"other-run-{secrets.token_hex(4)}:1:key"
    raw = _raw_redis()
    raw.set(other, "keep", ex=60)
    cache.set("mine", 1, 60)
    cache.clear()
    assert cache.get("mine") is None
    assert raw.get(other) == b"keep"
    raw.delete(other)


def test_redis_unreachable_is_no_server_error(settings, editor, api_data):
    """The cache reads as empty while Redis is down: requests go on, unthrottled."""
    down = {**settings.CACHES["default"], "LOCATION": "redis://127.0.0.1:1/0"}
    down["OPTIONS"] = {**down["OPTIONS"], "SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2}
    settings.CACHES = {"default": down}
    assert client_for(editor).get("/api/v1/indicators/").status_code == 200
    assert _guess(APIClient()).status_code == 401


def test_the_demo_without_redis_uses_the_local_memory_cache():
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "CACHE_KEY_PREFIX")}
    env.update({"DJANGO_SETTINGS_MODULE": "healthplanner.settings", "DJANGO_DEBUG": "true", "PYTHONPATH": str(ROOT)})
    out = subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; print(settings.CACHES['default']['BACKEND'])"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "django.core.cache.backends.locmem.LocMemCache"


# --- Failed authentication, throttled by client address --------------------------------

def test_150_guessed_tokens_do_not_all_get_401(api_data):
    """The audit's case with the default rate: most guesses get the 429, not a verdict."""
    client = APIClient()
    statuses = [_guess(client).status_code for _ in range(150)]
    assert set(statuses) <= {401, 429}
    limit = int(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["auth_failure"].split("/")[0])
    # One window's failures (two if the run straddles a window's end), then 429s.
    assert statuses.count(401) <= 2 * limit
    assert statuses.count(429) >= 150 - 2 * limit
    assert statuses[-1] == 429


@pytest.fixture
def five_failures(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "auth_failure": "5/hour"},
    }


def test_after_the_limit_the_address_gets_the_apis_429_with_retry_after(five_failures, editor, api_data):
    client = APIClient()
    for _ in range(5):
        assert _api_error(_guess(client), 401)["code"] == "authentication_failed"
    response = _guess(client)
    body = _api_error(response, 429)
    wait = int(response["Retry-After"])
    assert 0 < wait <= 3600
    assert body == {"status": 429, "code": "throttled", "detail": str(MSG_AUTH_THROTTLED % {"wait": wait})}
    # Even a valid token from that address waits: a guess must not learn it was right.
    key = api_token_create(user=editor).key
    assert client.get("/api/v1/indicators/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 429
    # Claiming another address in X-Forwarded-For does not help (no proxy is configured) …
    assert _guess(client, HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 429
    # … while a really different address is not affected.
    other = client.get("/api/v1/indicators/", HTTP_AUTHORIZATION=f"Token {key}", REMOTE_ADDR="198.51.100.7")
    assert other.status_code == 200
    # Pages outside the API are not this throttle's business.
    assert client.get("/admin/login/").status_code == 200


def test_the_429_speaks_spanish(five_failures, api_data):
    client = APIClient()
    for _ in range(5):
        _guess(client)
    body = _api_error(_guess(client, HTTP_ACCEPT_LANGUAGE="es"), 429)
    assert body["detail"].startswith("Demasiados intentos de autenticación fallidos")


def test_missing_credentials_and_successes_do_not_count(five_failures, editor, api_data):
    client = APIClient()
    key = api_token_create(user=editor).key
    for _ in range(8):
        assert client.get("/api/v1/indicators/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 200
        # No credentials at all is "not authenticated", not a failed guess.
        assert client.get("/api/v1/interventions/").status_code == 401
    assert _guess(client).status_code == 401


def test_behind_a_configured_proxy_the_forwarded_address_is_the_client(five_failures, settings, api_data):
    settings.NUM_PROXIES = 1
    client = APIClient()
    for _ in range(5):
        _guess(client, HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert _guess(client, HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 429
    assert _guess(client, HTTP_X_FORWARDED_FOR="203.0.113.10").status_code == 401


# --- Admin login lockout (django-axes) -------------------------------------------------

def _login(client, password, **extra):
    return client.post("/admin/login/?next=/admin/", {"username": "editor", "password": password}, **extra)


def test_admin_login_locks_out_after_repeated_wrong_passwords(client, editor):
    limit = settings.AXES_FAILURE_LIMIT
    for _ in range(limit - 1):
        response = _login(client, "wrong")
        assert response.status_code == 200 and response.context["form"].errors
    response = _login(client, "wrong", HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == 429
    assert int(response["Retry-After"]) == int(settings.AXES_COOLOFF_TIME.total_seconds())
    page = response.content.decode()
    assert "Demasiados intentos fallidos de inicio de sesión" in page
    # Locked: even the right password is refused now, from this address …
    assert _login(client, "pw-editor").status_code == 429
    # … not from another one,
    other = _login(client, "pw-editor", REMOTE_ADDR="198.51.100.7")
    assert other.status_code == 302
    client.logout()
    # and the documented command unlocks the account.
    call_command("axes_reset_username", "editor")
    assert _login(client, "pw-editor").status_code == 302


def test_the_lockout_page_is_english_on_request(client, editor):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = _login(client, "wrong", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.content.decode()
