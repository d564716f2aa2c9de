"""Schemathesis fuzzes every operation of /api/schema/ in-process (WSGI), as a partner
and as an editor: no 5xx, every status code documented, every body valid against the
schema."""
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


# Generating the schema needs no database: load it once, at collection, in-process.
schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())
# Examples and fuzzing (positive and negative data); the exhaustive coverage phase would
# take far longer than the few minutes this suite may spend here.
schema.config.phases.update(phases=["examples", "fuzzing"])


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


@schema.parametrize()
@HYPOTHESIS
def test_api_as_a_partner(case, partner_headers):
    case.call_and_validate(headers=partner_headers, checks=CHECKS)


@schema.parametrize()
@HYPOTHESIS
def test_api_as_an_editor(case, editor_headers):
    case.call_and_validate(headers=editor_headers, checks=CHECKS)
