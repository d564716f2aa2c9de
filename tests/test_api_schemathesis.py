"""Schemathesis fuzzes every operation of /api/schema/ in-process (WSGI), as a partner, an
editor and an analyst, with every check schemathesis has (``--checks all``): no 5xx, every
status code and header documented, every body valid against the schema, schema-violating
requests rejected, schema-valid ones accepted, authentication enforced, unsupported
methods refused. The only failures let through are the schema-valid requests refused for
a reason the document cannot state (docs/api.md, "What the document cannot say"), each
recognised by its message; anything else fails the test."""
import re
import zlib

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import CHECKS as REGISTERED_CHECKS
from schemathesis.checks import load_all_checks
from schemathesis.core.failures import AcceptedNegativeData, FailureGroup
from schemathesis.openapi.checks import RejectedPositiveData

from tests.api_support import *  # noqa: F401,F403
from tests.api_support import client_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

load_all_checks()
# Every check schemathesis registers (its CLI's ``--checks all``).
CHECKS = [c for c in REGISTERED_CHECKS.get_all() if callable(c) and not isinstance(c, type)]
assert len(CHECKS) >= 14, [c.__name__ for c in CHECKS]

# Schema-valid requests the API refuses for reasons an OpenAPI document cannot state: each
# is listed, with why, in docs/api.md ("What the document cannot say"). A refusal passes
# only if every one of its messages is one of these.
JUSTIFIED_REFUSALS = [re.compile(pattern) for pattern in (
    r" with this .+ already exists\.$",                     # a unique value taken (stateful)
    r"^Object with .+ does not exist\.$",                   # a reference to nothing
    r'^Invalid pk ".*" - object does not exist\.$',
    r"^This field is required \(or send \w+_id\)\.$",      # one of two fields
    r"^Constraint “\w+” is violated\.$",                    # a database rule across fields
    r"^The interval must satisfy lower ≤ value ≤ upper\.$",
    r"^The end date cannot be before the start date\.$",
    r"is not of the form (COLUMN=indicator_code|indicator_code=number)\.$",  # the import's mini-languages
    r"^Give the data source a short name\.$",               # needed for a generic table only
    r"^Send the community's UBIGEO code \(community\) or its id \(community_id\)\.$",
    r"^(Null characters are not allowed|The search text cannot contain NUL characters)\.$",  # NUL in text
    r"is not a UBIGEO code",                                # the code's level, parent and department
    r" does not exist yet: create it first\.$",             # its parent must exist first
    r" is outside the valid range of ",                     # the indicator's own range
    r"^The minimum of the valid range must not exceed its maximum\.$",
)]


def _refusal_messages(response):
    try:
        body = response.json()
    except ValueError:
        return None
    errors = body.get("errors") if isinstance(body, dict) else None
    if response.status_code != 400 or not isinstance(errors, dict) or not errors:
        return None
    return [str(m) for messages in errors.values() for m in (messages if isinstance(messages, list) else [messages])]


def _empty_parameters_only(failure, case) -> bool:
    """An empty query parameter filters nothing (django-filter's rule, which the browsable
    API's filter form relies on: it sends every field, filled or not): a schema-violating
    request whose only violations are empty parameters is accepted by design."""
    names = re.findall(r"`(\w+)`", re.sub(r"^.*?Invalid component: ", "", failure.message, flags=re.S).split(" in ")[0])
    query = case.query or {}
    return bool(names) and all(query.get(name) == "" for name in names)


def justified(failure, response, case=None) -> bool:
    if isinstance(failure, AcceptedNegativeData) and case is not None:
        return "Invalid component: parameter" in failure.message and _empty_parameters_only(failure, case)
    if not isinstance(failure, RejectedPositiveData):
        return False
    if response.status_code == 400 and response.json().get("code") == "import_refused":
        return True  # the uploaded file's content was read and refused: no schema describes a file's rows
    messages = _refusal_messages(response)
    return bool(messages) and all(any(p.search(m) for p in JUSTIFIED_REFUSALS) for m in messages)


def call_and_check(case, headers):
    """``case.call_and_validate`` with every check; the justified refusals above pass."""
    __tracebackhide__ = True
    response = case.call(headers=headers)
    try:
        case.validate_response(response, checks=CHECKS, headers=headers)
    except FailureGroup as group:
        remaining = [f for f in group.exceptions if not justified(f, response, case)]
        if remaining:
            raise FailureGroup(remaining, str(group)) from None
    return response


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


@pytest.fixture
def analyst_headers(analyst, api_data):
    return _token_header(analyst)


@schema_without_modeling.parametrize()
@HYPOTHESIS
def test_api_as_a_partner(case, partner_headers, api_data):
    aim_at_real_objects(case, api_data)
    call_and_check(case, partner_headers)


@schema_without_modeling.parametrize()
@HYPOTHESIS
def test_api_as_an_editor(case, editor_headers, api_data):
    aim_at_real_objects(case, api_data)
    call_and_check(case, editor_headers)


@schema_without_modeling.parametrize()
@HYPOTHESIS
def test_api_as_an_analyst(case, analyst_headers, api_data):
    aim_at_real_objects(case, api_data)
    call_and_check(case, analyst_headers)


def test_only_the_listed_refusals_are_let_through():
    """The filter above can fail: a refusal with any other message is not justified."""

    class Answer:
        status_code = 400

        def __init__(self, *messages):
            self.messages = messages

        def json(self):
            return {"status": 400, "code": "invalid", "detail": "…", "errors": {"x": list(self.messages)}}

    failure = RejectedPositiveData(operation="POST /x", message="refused", status_code=400, allowed_statuses=["2xx"])
    assert justified(failure, Answer("partner with this name already exists."))
    assert not justified(failure, Answer("partner with this name already exists.", "A valid number is required."))
    assert not justified(failure, Answer("Ensure this value is greater than or equal to 0."))
    assert not justified(failure, Answer())  # no field messages at all

    class Case:
        def __init__(self, **query):
            self.query = query

    accepted = AcceptedNegativeData(
        operation="GET /x", status_code=200, expected_statuses=["400"],
        message="Invalid data should have been rejected\nExpected: 400\nInvalid component: parameter `is_active` "
                "in query - violates `type` at /properties/is_active (was boolean, became string)")
    assert justified(accepted, Answer(), Case(is_active=""))
    assert not justified(accepted, Answer(), Case(is_active="maybe"))
