"""Health and clean failure (audit row 8): ``/healthz`` answers while the process lives,
``/readyz`` checks the database, the cache, django-q2's broker and the active model, and
when the database is gone the API answers 503 in its error shape with ``Retry-After``
instead of Django's HTML "Server Error (500)".

The outage is real: the test creates a second PostgreSQL database, points the ``default``
alias at it, then terminates its connections and drops it."""
import uuid

import psycopg2
import pytest
from django.db import connection, connections
from django.test import Client

from healthplanner.api.exceptions import MSG_SERVER_ERROR, MSG_UNAVAILABLE, RETRY_AFTER_SECONDS
from interventions.seed.catalogue import ensure_indicators
from modeling.models import ModelStatus, ModelVersion

from .conftest import make_user

pytestmark = pytest.mark.django_db
API = "/api/v1/indicators/"


def _server():
    cfg = connection.settings_dict
    server = psycopg2.connect(host=cfg["HOST"] or "127.0.0.1", port=cfg["PORT"] or 5432, user=cfg["USER"],
                              password=cfg["PASSWORD"] or None, dbname="postgres")
    server.autocommit = True
    return server


@pytest.fixture
def analyst_client(django_user_model):
    from healthplanner import roles

    client = Client(raise_request_exception=False)
    client.force_login(make_user(django_user_model, "lectora", groups=[roles.ANALYSTS]))
    return client


@pytest.fixture
def active_model():
    ensure_indicators()
    from interventions.models import Indicator

    return ModelVersion.objects.create(target=Indicator.objects.get(code="stunting_u5_pct"), target_year=2020,
                                       fingerprint="x" * 64, status=ModelStatus.ACTIVE)


@pytest.fixture
def doomed_default():
    """``default`` pointed at a database of its own, which ``drop()`` then removes; the
    real test database comes back afterwards."""
    if connection.vendor != "postgresql":
        pytest.skip("the outage is staged on a PostgreSQL server")
    name = f"hp_doomed_{uuid.uuid4().hex[:12]}"
    server = _server()
    with server.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    original = connections["default"]
    doomed = original.__class__({**original.settings_dict, "NAME": name}, "default")

    def drop():
        with server.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [name])
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')

    connections["default"] = doomed
    try:
        doomed.ensure_connection()  # a live connection that the outage then breaks
        yield drop
    finally:
        connections["default"] = original
        doomed.close()
        drop()
        server.close()


def test_ready_when_everything_answers(analyst_client, active_model):
    health = analyst_client.get("/healthz")
    assert (health.status_code, health.json()) == (200, {"status": "ok"})
    assert analyst_client.head("/readyz").status_code == 200
    assert analyst_client.post("/healthz").status_code == 405
    ready = analyst_client.get("/readyz")
    assert ready.status_code == 200, ready.json()
    body = ready.json()
    assert body["status"] == "ok" and "Retry-After" not in ready
    assert set(body["checks"]) == {"database", "cache", "broker", "model"}
    assert all(check["ok"] for check in body["checks"].values())
    assert f"stunting_u5_pct #{active_model.pk}" in body["checks"]["model"]["detail"]
    assert analyst_client.get(API).status_code == 200


def test_not_ready_without_an_active_model(analyst_client, active_model):
    ModelVersion.objects.update(status=ModelStatus.CANDIDATE)
    ready = analyst_client.get("/readyz")
    assert ready.status_code == 503 and ready["Retry-After"] == str(RETRY_AFTER_SECONDS)
    checks = ready.json()["checks"]
    assert not checks["model"]["ok"] and checks["database"]["ok"] and checks["broker"]["ok"]


def test_database_down_healthz_alive_readyz_and_the_api_503(analyst_client, active_model, doomed_default):
    assert analyst_client.get("/healthz").status_code == 200
    doomed_default()  # the outage: connections terminated, the database dropped

    health = analyst_client.get("/healthz")
    assert (health.status_code, health.json()) == (200, {"status": "ok"})  # the process lives

    ready = analyst_client.get("/readyz")
    assert ready.status_code == 503 and ready["Content-Type"] == "application/json"
    assert ready["Retry-After"] == str(RETRY_AFTER_SECONDS)
    body = ready.json()
    assert body["status"] == "unavailable" and not body["checks"]["database"]["ok"]
    assert not body["checks"]["model"]["ok"]
    assert "hp_doomed" not in ready.content.decode()  # the server's error text stays in the log

    for _ in range(2):  # the broken connection, then a refused reconnection
        response = analyst_client.get(API)
        assert response.status_code == 503, response.content[:300]
        assert response["Content-Type"] == "application/json"
        assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
        assert response.json() == {"status": 503, "code": "unavailable", "detail": str(MSG_UNAVAILABLE)}

    # Outside the API the page is Django's, but a 503 with Retry-After, not a 500.
    admin = analyst_client.get("/admin/")
    assert admin.status_code == 503 and admin["Retry-After"] == str(RETRY_AFTER_SECONDS)


def test_a_server_fault_under_the_api_answers_json(settings):
    settings.ROOT_URLCONF = "tests.health_urls"
    client = Client(raise_request_exception=False)
    response = client.get("/api/v1/_test/fail/")
    assert response.status_code == 500 and response["Content-Type"] == "application/json"
    assert response.json() == {"status": 500, "code": "server_error", "detail": str(MSG_SERVER_ERROR)}
    assert client.get("/admin/login/").status_code == 200


def test_messages_in_spanish():
    from django.utils import translation

    with translation.override("es"):
        assert str(MSG_UNAVAILABLE).startswith("El servicio no está disponible")
        assert str(MSG_SERVER_ERROR).startswith("El servidor no pudo responder")


@pytest.mark.django_db
def test_the_api_answers_503_in_spanish_by_default(settings, doomed_default):
    settings.LANGUAGE_CODE = "es"
    doomed_default()
    client = Client(raise_request_exception=False)
    response = client.get(API, HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef01234567")
    assert response.status_code == 503
    assert response.json()["detail"].startswith("El servicio no está disponible")
    ready = client.get("/readyz").json()["checks"]
    assert ready["broker"]["detail"] == "no comprobado: la base de datos no responde"
