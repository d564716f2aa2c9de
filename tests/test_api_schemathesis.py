"""Schemathesis fuzzes every operation of /api/schema/ in-process (WSGI), as a partner
and as an editor: no 5xx, every status code documented, every body valid against the
schema."""
import zlib

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api_support import *  # noqa: F401,F403
from tests.api_support import client_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(autouse=True)
def no_throttling(settings):
    # The fuzzer sends thousands of requests: keep the throttles out of its way.
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "100000/minute", "user": "100000/minute"},
    }


@pytest.fixture(autouse=True)
def keep_the_test_connection():
    """Requests here go through Django's real WSGI handler, whose request signals close
    "old" connections (CONN_MAX_AGE) — the test's own, inside its transaction. Django's
    test client unhooks that handler around each request; do the same."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


# Generating the schema needs no database: load it once, at collection, in-process.
schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())
# Examples and fuzzing (positive and negative data); the exhaustive coverage phase would
# take far longer than the few minutes this suite may spend here.
schema.config.phases.update(phases=["examples", "fuzzing"])
# The modeling operations need a trained model: tests/test_api_schemathesis_modeling.py.
schema_without_modeling = schema.exclude(path_regex=r"^/api/v1/(model-versions|scores|plans|predictions|tasks)/")


def _existing(api_data):
    """Ids of real objects per collection, and real keys for related fields."""
    ids = {
        "communities": [c.pk for c in api_data.communities.values()],
        "indicators": [i.pk for i in api_data.indicators.values()] + [api_data.spare_indicator.pk],
        "indicator-values": [api_data.value.pk],
        "intervention-types": [api_data.itype.pk, api_data.spare_type.pk],
        "partners": [api_data.partner_a.pk, api_data.partner_b.pk, api_data.spare_partner.pk],
        "interventions": [api_data.intervention_a.pk, api_data.intervention_b.pk],
    }
    keys = {
        "community": "010102", "indicator": "poverty_pct",
        "intervention_type": "iron_supplementation", "partner": api_data.partner_a.name,
    }
    return ids, keys


def aim_at_real_objects(case, api_data):
    """Random ids and keys almost never exist, so a purely random case only ever sees 404
    and 400. Half the positive cases are pointed at real objects and keys instead, so
    success responses (200, 201, 204) and model validation are fuzzed and checked too."""
    if not case.meta or not case.meta.generation.mode.is_positive:
        return
    seed = zlib.crc32(repr((case.path_parameters, case.body, case.query)).encode())
    if seed % 2:
        return
    ids, keys = _existing(api_data)
    collection = case.operation.path.split("/")[3] if case.operation.path.startswith("/api/v1/") else None
    if case.path_parameters and "id" in case.path_parameters and collection in ids:
        choices = ids[collection]
        case.path_parameters["id"] = choices[(seed // 2) % len(choices)]
    if isinstance(case.body, dict):
        for name, key in keys.items():
            if name in case.body or f"{name}_id" in case.body:
                case.body.pop(f"{name}_id", None)
                case.body[name] = key


def _token_header(user):
    return {"Authorization": client_for(user)._credentials["HTTP_AUTHORIZATION"]}


@pytest.fixture
def partner_headers(partner_a_user, partner_b_user, api_data):
    return _token_header(partner_a_user)


@pytest.fixture
def editor_headers(editor, api_data):
    return _token_header(editor)


HYPOTHESIS = settings(
    max_examples=50,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


@schema_without_modeling.parametrize()
@HYPOTHESIS
def test_api_as_a_partner(case, partner_headers, api_data):
    aim_at_real_objects(case, api_data)
    case.call_and_validate(headers=partner_headers, checks=CHECKS)


@schema_without_modeling.parametrize()
@HYPOTHESIS
def test_api_as_an_editor(case, editor_headers, api_data):
    aim_at_real_objects(case, api_data)
    case.call_and_validate(headers=editor_headers, checks=CHECKS)
