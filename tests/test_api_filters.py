"""Filters, search, ordering, pagination and related objects by key or id."""
import pytest

from interventions.api.serializers import MSG_KEY_ID_MISMATCH, MSG_RELATED_REQUIRED
from interventions.models import IndicatorValue, Intervention
from tests.api_support import *  # noqa: F401,F403
from tests.api_support import client_for


@pytest.fixture
def api(editor, api_data):
    return client_for(editor)


def ids(response):
    assert response.status_code == 200, response.content
    return sorted(row["id"] for row in response.json()["results"])


def codes(response):
    assert response.status_code == 200, response.content
    return [row["code"] for row in response.json()["results"]]


def values_ids(**filters):
    return sorted(IndicatorValue.objects.filter(**filters).values_list("id", flat=True))


def test_communities_filters(api, api_data):
    url = "/api/v1/communities/"
    assert codes(api.get(url, {"ubigeo__startswith": "0101"})) == ["0101", "010101", "010102", "010103"]
    assert codes(api.get(url, {"department": "02"})) == ["02", "0201", "020101"]
    assert codes(api.get(url, {"level": "department"})) == ["01", "02"]
    assert codes(api.get(url, {"level": ["department", "country"]})) == ["01", "02", "PE"]
    assert codes(api.get(url, {"community": "010101,02"})) == ["010101", "02"]
    assert codes(api.get(url, {"community_id": str(api_data.communities["0201"].pk)})) == ["0201"]
    assert codes(api.get(url, {"parent": "0101"})) == ["010101", "010102", "010103"]
    assert codes(api.get(url, {"search": "huaraz"})) == ["0201", "020101"]
    assert codes(api.get(url, {"ordering": "-code", "level": "province"})) == ["0201", "0101"]


def test_indicator_values_filters(api, api_data):
    url = "/api/v1/indicator-values/"
    poverty = api_data.indicators["poverty_pct"]
    assert ids(api.get(url, {"indicator": "poverty_pct", "page_size": 100})) == values_ids(indicator=poverty)
    assert ids(api.get(url, {"indicator_id": poverty.pk, "page_size": 100})) == values_ids(indicator=poverty)
    assert ids(api.get(url, {"community": "010101"})) == values_ids(community__code="010101")
    district = api_data.communities["010101"]
    assert ids(api.get(url, {"community_id": district.pk})) == values_ids(community__code="010101")
    assert ids(api.get(url, {"ubigeo__startswith": "0101"})) == values_ids(community__code__startswith="0101")
    assert ids(api.get(url, {"department": "01", "level": "district"})) == values_ids(
        community__code__startswith="01", community__level="district")
    assert ids(api.get(url, {"year": 2021})) == values_ids(year=2021)
    assert ids(api.get(url, {"year__gte": 2021})) == values_ids(year__gte=2021)
    assert ids(api.get(url, {"year__lte": 2020})) == values_ids(year__lte=2020)
    assert ids(api.get(url, {"source": "synthetic-demo", "year": 2020, "indicator": "stunting_u5_pct"})) == values_ids(
        source="synthetic-demo", year=2020, indicator__code="stunting_u5_pct")
    assert ids(api.get(url, {"source": "other"})) == []
    rows = api.get(url, {"ordering": "-value,id", "community": "010101", "indicator": "poverty_pct"}).json()["results"]
    assert [r["value"] for r in rows] == sorted((r["value"] for r in rows), reverse=True)


def test_interventions_filters(api, api_data):
    url = "/api/v1/interventions/"
    a, b = api_data.intervention_a.pk, api_data.intervention_b.pk
    assert ids(api.get(url, {"partner": "PA"})) == [a]
    assert ids(api.get(url, {"partner": "fundación b"})) == [b]
    assert ids(api.get(url, {"partner_id": api_data.partner_b.pk})) == [b]
    assert ids(api.get(url, {"status": "planned"})) == [a, b]
    assert ids(api.get(url, {"status": "active"})) == []
    assert ids(api.get(url, {"department": "02"})) == [b]
    assert ids(api.get(url, {"community": "010101"})) == [a]
    assert ids(api.get(url, {"intervention_type": "iron_supplementation", "year__gte": 2024})) == [a]
    assert ids(api.get(url, {"search": "B's"})) == [b]


def test_catalogue_and_partner_filters(api, api_data):
    assert codes(api.get("/api/v1/intervention-types/", {"indicator": "stunting_u5_pct"})) == ["iron_supplementation"]
    assert codes(api.get("/api/v1/indicators/", {"category": "poverty"})) == ["poverty_pct"]
    rows = api.get("/api/v1/partners/", {"partner": "pb"}).json()["results"]
    assert [r["name"] for r in rows] == ["Fundación B"]


@pytest.mark.parametrize("params, field", [
    ({"year": "abc"}, "year"),
    ({"year": "99999"}, "year"),
    ({"year__gte": "1800"}, "year__gte"),
    ({"department": "1"}, "department"),
    ({"community_id": "x"}, "community_id"),
    ({"community_id": "9" * 30}, "community_id"),
    ({"level": "planet"}, "level"),
    ({"ubigeo__startswith": "abc"}, "ubigeo__startswith"),
    ({"layout": "diagonal"}, "layout"),
    ({"search": "a\x00b"}, "search"),
])
def test_bad_filter_values_are_400_with_the_field(api, params, field):
    response = api.get("/api/v1/indicator-values/", params)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and list(body["errors"]) == [field]


def test_page_size_is_capped(api, api_data, settings):
    settings.API_MAX_PAGE_SIZE = 5
    body = api.get("/api/v1/indicator-values/", {"page_size": 1000}).json()
    assert body["count"] == IndicatorValue.objects.count() and len(body["results"]) == 5
    assert "page=2" in body["next"]
    assert api.get("/api/v1/indicator-values/", {"page": 999}).status_code == 404


def test_related_objects_by_key_or_id(api, api_data):
    url = "/api/v1/indicator-values/"
    by_key = {"community": "010102", "indicator": "poverty_pct", "year": 2015, "value": 20.5, "source": "a"}
    by_id = {"community_id": api_data.communities["010102"].pk, "indicator_id": api_data.indicators["poverty_pct"].pk,
             "year": 2016, "value": 21.5, "source": "a"}
    for body in (by_key, by_id):
        response = api.post(url, body, format="json")
        assert response.status_code == 201, response.content
        row = response.json()
        assert (row["community"], row["community_id"]) == ("010102", api_data.communities["010102"].pk)
        assert row["indicator"] == "poverty_pct"
    both = {**by_key, "year": 2017, "community_id": api_data.communities["010101"].pk}
    response = api.post(url, both, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "community": [str(MSG_KEY_ID_MISMATCH % {"key": "010102", "key_id": "community_id"})]}
    response = api.post(url, {"indicator": "poverty_pct", "year": 2018, "value": 1, "source": "a"}, format="json")
    assert response.json()["errors"] == {"community": [str(MSG_RELATED_REQUIRED % {"key_id": "community_id"})]}

    response = api.post("/api/v1/interventions/", {
        "community_id": api_data.communities["010102"].pk, "intervention_type_id": api_data.itype.pk,
        "partner_id": api_data.partner_b.pk, "start_date": "2025-01-01", "budget_pen": "10.00"}, format="json")
    assert response.status_code == 201
    created = Intervention.objects.get(pk=response.json()["id"])
    assert (created.community.code, created.partner, response.json()["partner"]) == (
        "010102", api_data.partner_b, "Fundación B")


def test_comma_lists_strip_spaces_and_refuse_blank_ids(api, api_data):
    """One comma-list filter (healthplanner.api.filters) behind every ``…(s), comma-separated``
    parameter: spaces around items are dropped, a blank code matches nothing, a blank or
    non-numeric id is a 400 naming the parameter."""
    url = "/api/v1/communities/"
    one, two = api_data.communities["0101"].pk, api_data.communities["0201"].pk
    assert codes(api.get(url, {"community": " 010101 , 02 "})) == ["010101", "02"]
    assert codes(api.get(url, {"code": ","})) == []
    assert codes(api.get(url, {"community_id": f" {one} ,{two}"})) == ["0101", "0201"]
    assert codes(api.get(url, {"community_id": ""})) == codes(api.get(url))
    for bad in (f"{one},,{two}", f"{one},", "1.5", "-1"):
        response = api.get(url, {"community_id": bad})
        assert response.status_code == 400, bad
        assert list(response.json()["errors"]) == ["community_id"], bad
    values = "/api/v1/indicator-values/"
    poverty, stunting = api_data.indicators["poverty_pct"], api_data.indicators["stunting_u5_pct"]
    both = values_ids(indicator__in=[poverty, stunting])
    assert ids(api.get(values, {"indicator": "poverty_pct,stunting_u5_pct", "page_size": 1000})) == both
    assert ids(api.get(values, {"indicator_id": f"{poverty.pk},{stunting.pk}", "page_size": 1000})) == both


def test_overlapping_interventions_filter(api, api_data):
    """Two partners on one need: ``?overlap=true`` lists exactly what the selector finds."""
    import datetime

    from interventions.models import Partner
    from interventions.selectors import intervention_overlaps

    first = Intervention.objects.order_by("pk").first()
    other = Partner.objects.exclude(pk=first.partner_id).first()
    twin = Intervention.objects.create(community=first.community, intervention_type=first.intervention_type,
                                       partner=other, status="planned", start_date=first.start_date,
                                       end_date=None, budget_pen=10, beneficiaries=5)
    Intervention.objects.filter(pk=first.pk).update(status="active", end_date=None)
    expected = sorted(intervention_overlaps().values_list("pk", flat=True))
    assert {first.pk, twin.pk} <= set(expected)
    assert ids(api.get("/api/v1/interventions/", {"overlap": "true", "page_size": 100})) == expected
    rest = ids(api.get("/api/v1/interventions/", {"overlap": "false", "page_size": 100}))
    assert not set(rest) & set(expected)
    Intervention.objects.filter(pk=twin.pk).update(start_date=datetime.date(2099, 1, 1), end_date=None)
    Intervention.objects.filter(pk=first.pk).update(end_date=datetime.date(2098, 12, 31))
    assert twin.pk not in ids(api.get("/api/v1/interventions/", {"overlap": "true", "page_size": 100}))
