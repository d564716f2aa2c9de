"""Every error has one body shape and the right status; nothing a client sends is a 500."""
import json

import pytest

from healthplanner.api.exceptions import MSG_CONFLICT, MSG_PROTECTED, MSG_TOO_LARGE
from interventions.choices import Level
from interventions.models import (
    MSG_END_BEFORE_START,
    MSG_PARENT_MISSING,
    Community,
    IndicatorValue,
    Intervention,
)
from tests.api_support import *  # noqa: F401,F403
from tests.api_support import client_for


@pytest.fixture
def api(editor, api_data):
    return client_for(editor)


def error(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["status"] == status and isinstance(body["code"], str) and isinstance(body["detail"], str)
    assert set(body) <= {"status", "code", "detail", "errors"}
    return body


def test_400_model_rules_with_their_own_messages(api, api_data):
    body = error(api.post("/api/v1/indicator-values/", {
        "community": "010101", "indicator": "poverty_pct", "year": 2010, "value": 150, "source": "x",
    }, format="json"), 400)
    assert body["errors"] == {"value": [api_data.indicators["poverty_pct"].range_message(150.0)]}
    body = error(api.post("/api/v1/interventions/", {
        "community": "010101", "intervention_type": "iron_supplementation", "partner": "Asociación A",
        "start_date": "2025-01-01", "end_date": "2024-01-01", "budget_pen": "10.00"}, format="json"), 400)
    assert body["errors"] == {"end_date": [str(MSG_END_BEFORE_START)]}


def test_400_missing_parent_message(api):
    body = error(api.post("/api/v1/communities/", {"code": "0302", "name": "X"}, format="json"), 400)
    assert body["errors"] == {"code": [str(MSG_PARENT_MISSING % {
        "parent_level": Level.DEPARTMENT.label, "parent_code": "03", "code": "0302"})]}


def test_400_field_errors_and_malformed_bodies(api):
    body = error(api.post("/api/v1/partners/", {"kind": "alien", "website": "no"}, format="json"), 400)
    assert set(body["errors"]) == {"name", "kind", "website"}
    body = error(api.post("/api/v1/partners/", data="{not json", content_type="application/json"), 400)
    assert body["code"] == "parse_error"
    body = error(api.post("/api/v1/partners/", data=json.dumps([1, 2]), content_type="application/json"), 400)
    assert body["code"] == "invalid" and "non_field_errors" in body["errors"]
    error(api.post("/api/v1/partners/", data="name=x", content_type="text/plain"), 415)


def test_400_duplicate_is_a_field_error_not_a_crash(api, api_data):
    v = api_data.value
    body = error(api.post("/api/v1/indicator-values/", {
        "community": v.community.code, "indicator": v.indicator.code, "year": v.year, "value": 1, "source": v.source,
    }, format="json"), 400)
    assert list(body["errors"]) == ["non_field_errors"]


def test_409_when_the_database_refuses_a_duplicate(api, api_data, monkeypatch):
    # Two clients racing past validation: the unique constraint decides, the API says 409.
    monkeypatch.setattr(IndicatorValue, "validate_constraints", lambda self, exclude=None: None)
    monkeypatch.setattr(IndicatorValue, "validate_unique", lambda self, exclude=None: None)
    v = api_data.value
    body = error(api.post("/api/v1/indicator-values/", {
        "community": v.community.code, "indicator": v.indicator.code, "year": v.year, "value": 1, "source": v.source,
    }, format="json"), 409)
    assert body == {"status": 409, "code": "conflict", "detail": str(MSG_CONFLICT)}
    assert api.get("/api/v1/indicators/").status_code == 200  # the connection is still usable


def test_409_deleting_a_protected_object_says_why(api, api_data):
    body = error(api.delete(f"/api/v1/communities/{api_data.communities['0101'].pk}/"), 409)
    assert body == {"status": 409, "code": "protected", "detail": str(MSG_PROTECTED % {
        "model": Community._meta.verbose_name, "blockers": f"3 {Community._meta.verbose_name_plural}"})}
    body = error(api.delete(f"/api/v1/intervention-types/{api_data.itype.pk}/"), 409)
    assert f"2 {Intervention._meta.verbose_name_plural}" in body["detail"]
    body = error(api.delete(f"/api/v1/partners/{api_data.partner_a.pk}/"), 409)
    assert api.get(f"/api/v1/partners/{api_data.partner_a.pk}/").status_code == 200


def test_protected_message_text(api, api_data, settings):
    settings.LANGUAGE_CODE = "en"
    response = api.delete(f"/api/v1/indicators/{api_data.indicators['poverty_pct'].pk}/", HTTP_ACCEPT_LANGUAGE="en")
    body = error(response, 409)
    assert body["detail"] == (
        "This indicator cannot be deleted: 8 indicator values, 1 intervention type still refer to it. "
        "Delete or move those first."
    )


def test_401_403_404_405(api, analyst, api_data):
    body = error(client_for(None).get("/api/v1/communities/"), 401)
    assert body["code"] == "not_authenticated"
    anonymous = client_for(None)
    anonymous.credentials(HTTP_AUTHORIZATION="Token wrong")
    response = anonymous.get("/api/v1/communities/")
    assert error(response, 401)["code"] == "authentication_failed" and response["WWW-Authenticate"] == "Token"
    response = client_for(analyst).delete(f"/api/v1/partners/{api_data.spare_partner.pk}/")
    assert error(response, 403)["code"] == "permission_denied"
    assert error(api.get("/api/v1/communities/987654321/"), 404)["code"] == "not_found"
    assert error(api.get("/api/v1/communities/abc/"), 404)["code"] == "not_found"
    assert error(api.get("/api/v1/communities/99999999999999999999999/"), 404)["code"] == "not_found"
    assert error(api.put("/api/v1/communities/", {}, format="json"), 405)["code"] == "method_not_allowed"
    assert error(api.generic("TRACE", "/api/v1/communities/"), 405)["code"] == "method_not_allowed"


def test_413_when_the_body_is_too_large(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = error(api.post("/api/v1/partners/", {"name": "x" * 5000, "kind": "ngo"}, format="json"), 413)
    assert body == {"status": 413, "code": "too_large", "detail": str(MSG_TOO_LARGE)}


def test_429_for_users_and_anonymous_clients(api, settings, client):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": "2/minute", "user": "3/minute"},
    }
    for _ in range(3):
        assert api.get("/api/v1/indicators/").status_code == 200
    response = api.get("/api/v1/indicators/")
    body = error(response, 429)
    assert body["code"] == "throttled" and int(response["Retry-After"]) > 0
    for _ in range(2):
        assert client.get("/api/schema/").status_code == 200
    assert client.get("/api/schema/").status_code == 429


def test_unknown_api_paths_are_json_404_and_others_html(api, client, db):
    body = error(api.get("/api/v1/indicator-values/1.5/"), 404)
    assert body["code"] == "not_found"
    error(client.get("/api/v1/no-such-thing/"), 404)
    response = client.get("/no-such-page/")
    assert response.status_code == 404 and response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("url", ["/api/v1/partners/", "/api/v1/interventions/", "/api/v1/plans/",
                                 "/api/v1/predictions/"])
def test_a_deeply_nested_json_body_is_a_400_not_a_500(django_user_model, url):
    """Audit row 4: ~1,000 levels of nesting made every POST a 500 (RecursionError)."""
    from healthplanner.api.parsers import MAX_JSON_DEPTH, MSG_TOO_DEEP
    from tests.conftest import make_user

    api = client_for(make_user(django_user_model, "deep-root", superuser=True))
    for depth in (1000, MAX_JSON_DEPTH + 1):
        payload = "[" * depth + "]" * depth
        response = api.generic("POST", url, payload, content_type="application/json")
        body = error(response, 400)
        assert body["code"] == "parse_error" and body["detail"] == str(MSG_TOO_DEEP % {"depth": MAX_JSON_DEPTH})


def test_options_as_csv_is_not_a_500(django_user_model):
    """Audit row 7: OPTIONS ?format=csv failed on the Decimal bounds in the metadata (the
    actions a user who may write is shown)."""
    from tests.conftest import make_user

    api = client_for(make_user(django_user_model, "options-root", superuser=True))
    for url in ("/api/v1/interventions/", "/api/v1/intervention-types/", "/api/v1/plans/"):
        response = api.options(f"{url}?format=csv")
        assert response.status_code == 200, (url, response.content[:300])
        assert response["Content-Type"].startswith("text/csv")
        assert b"name" in response.content.splitlines()[0]


def test_impossible_community_codes_and_conflicting_fields_are_400(django_user_model, api_data):
    """Audit row 10: community code 99 was accepted (then shown as a department in the
    reporting views); a prediction whose community and community_id disagreed was answered."""
    from interventions.models import Community
    from interventions.models.places import MSG_NO_DEPARTMENT, MSG_ZERO_PART
    from tests.conftest import make_user

    root = client_for(make_user(django_user_model, "codes-root", superuser=True))
    for code, message in (("99", MSG_NO_DEPARTMENT % {"code": "99", "department": "99"}),
                          ("0100", MSG_ZERO_PART % {"code": "0100"})):
        body = error(root.post("/api/v1/communities/", {"code": code, "name": "X"}, format="json"), 400)
        assert body["errors"]["code"] == [str(message)]
        assert not Community.objects.filter(code=code).exists()
    one, other = Community.objects.filter(level="district").order_by("code")[:2]
    body = error(root.post("/api/v1/predictions/", {"community": one.code, "community_id": other.pk},
                           format="json"), 400)
    assert list(body["errors"]) == ["community"]


def test_an_unknown_or_empty_format_is_a_406_with_the_formats_offered(api):
    body = error(api.get("/api/v1/communities/?format=xlsx"), 406)
    assert body["code"] == "not_acceptable"
    assert "xlsx" in body["detail"] and "json, csv" in body["detail"], body
    for url in ("/api/v1/communities/?format=", "/api/v1/communities/?format=%20"):
        body = error(api.get(url), 406)
        assert body["code"] == "not_acceptable" and "json, csv" in body["detail"], body
    # The formats it does answer in still answer.
    assert api.get("/api/v1/communities/?format=csv").status_code == 200
    assert api.get("/api/v1/communities/?format=json").status_code == 200
    body = error(api.get("/api/v1/communities/1.5/"), 404)  # a format suffix in the path names no resource


def test_query_values_outside_the_document_are_400_not_ignored(api):
    """What the OpenAPI document refuses, the API refuses too, with the reason (DRF and
    django-filter would ignore a page_size, page or boolean they cannot read, and read
    2020.0 as a year)."""
    for query, field in [("page_size=abc", "page_size"), ("page_size=", "page_size"), ("page=", "page"),
                         ("page=-1", "page"), ("year=2020.0", "year"), ("year=2e3", "year"),
                         ("community_id=1%092", "community_id")]:
        body = error(api.get(f"/api/v1/indicator-values/?{query}"), 400)
        assert list(body["errors"]) == [field], (query, body)
    body = error(api.get("/api/v1/intervention-types/?is_active=maybe"), 400)
    assert body["errors"] == {"is_active": ["Give true or false."]}
    # A single-valued filter given twice; several levels are one multiple-choice filter.
    body = error(api.get("/api/v1/indicator-values/?year__lte=2020&year__lte=x"), 400)
    assert list(body["errors"]) == ["year__lte"]
    assert api.get("/api/v1/communities/?level=district&level=province").status_code == 200
    for fine in ("page_size=all", "page=1", "page=last", "year=2020", "community_id=1, 2", "year="):
        assert api.get(f"/api/v1/indicator-values/?{fine}").status_code == 200, fine
    assert api.get("/api/v1/intervention-types/?is_active=TRUE").status_code == 200


def test_bodies_are_json_and_a_nul_in_a_code_is_named(api, api_data):
    response = api.post("/api/v1/partners/", {"name": "Forma", "kind": "ngo"}, format="multipart")
    assert error(response, 415)["code"] == "unsupported_media_type"
    body = error(api.post("/api/v1/interventions/", {
        "community": "0101\x00", "partner": api_data.partner_a.name, "intervention_type": api_data.itype.code,
        "start_date": "2025-01-01", "budget_pen": "10.00"}), 400)
    assert body["errors"]["community"] == ["Null characters are not allowed."]
