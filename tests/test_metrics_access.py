"""``/metrics`` (audit row 11): only with the bearer token, and no label takes a value a
user chose (import sources typed in a form, request paths)."""
import re
import uuid

import pytest

from healthplanner.metrics_export import MSG_METRICS_DISABLED, metrics_access

from .test_importers import LONG, long_import, places  # noqa: F401 (fixture)

TOKEN = "metrics-token-for-tests-0123456789abcdef"


@pytest.fixture
def token(settings):
    settings.METRICS_TOKEN = TOKEN
    return TOKEN


def _get(client, authorization=None):
    return client.get("/metrics", **({"HTTP_AUTHORIZATION": authorization} if authorization else {}))


@pytest.mark.parametrize("authorization", [None, "Bearer wrong-token", f"Token {TOKEN}", f"Basic {TOKEN}", "Bearer "])
def test_metrics_refuse_requests_without_the_token(client, token, authorization):
    response = _get(client, authorization)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert b"django_http" not in response.content


def test_metrics_with_the_token(client, token):
    response = _get(client, f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert b"django_http_requests_total_by_view_transport_method_total" in response.content


def test_without_a_configured_token_metrics_are_not_served(client, settings):
    settings.METRICS_TOKEN = ""
    for authorization in (None, "Bearer ", "Bearer x"):
        response = _get(client, authorization)
        assert response.status_code == 403 and response.content.decode() == MSG_METRICS_DISABLED
    assert metrics_access("Bearer ", "") == 403


def _label_values(body, metric, label):
    return {m.group(1) for line in body.splitlines() if line.startswith(metric + "{")
            for m in [re.search(rf'{label}="([^"]*)"', line)] if m}


@pytest.mark.django_db
def test_labels_take_no_value_a_user_chose(client, token, places):  # noqa: F811
    """An import whose source a user typed is counted as ``generic``; request paths that
    match no view all count under one label value."""
    source = f"fuente-elegida-{uuid.uuid4().hex[:8]}"
    long_import(LONG + "010101,poverty_pct,2018,9.0,,,\n", source=source)
    paths = [f"/sin-ruta-{uuid.uuid4().hex[:8]}/" for _ in range(5)]
    for path in paths:
        assert client.get(path).status_code == 404
    body = _get(client, f"Bearer {TOKEN}").content.decode()
    assert source not in body and not any(path.strip("/") in body for path in paths)
    assert "generic" in _label_values(body, "healthplanner_import_rows_total", "source")
    views = _label_values(body, "django_http_requests_total_by_view_transport_method_total", "view")
    assert views and not any("sin-ruta" in view for view in views)
