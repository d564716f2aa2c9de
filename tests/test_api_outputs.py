"""CSV output and the wide layout of indicator values."""
import csv
import io

import pytest

from interventions.api.views import MSG_WIDE_SOURCES
from interventions.models import Indicator, IndicatorValue
from tests.api_support import *  # noqa: F401,F403
from tests.api_support import client_for


@pytest.fixture
def api(analyst, api_data):
    return client_for(analyst)


def read_csv(response):
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8"))))


def test_csv_list_matches_json(api, api_data):
    params = {"community": "010101", "ordering": "id"}
    json_rows = api.get("/api/v1/indicator-values/", params).json()["results"]
    csv_rows = read_csv(api.get("/api/v1/indicator-values/", {**params, "format": "csv"}))
    assert len(csv_rows) == len(json_rows) == 4
    for j, c in zip(json_rows, csv_rows, strict=True):
        assert c["id"] == str(j["id"]) and c["community"] == "010101" and c["indicator"] == j["indicator"]
        assert float(c["value"]) == j["value"] and c["lower"] == "" and c["import_batch"] == ""
    header = api.get("/api/v1/indicator-values/", {**params, "format": "csv"}).content.decode().splitlines()[0]
    assert header == (
        "id,community,community_id,indicator,indicator_id,year,value,lower,upper,sample_size,source,import_batch"
    )


def test_csv_on_every_list_endpoint_and_pagination(api, api_data):
    for endpoint, count in [("communities", 9), ("indicators", 3), ("intervention-types", 2),
                            ("partners", 3), ("interventions", 2)]:
        rows = read_csv(api.get(f"/api/v1/{endpoint}/", {"format": "csv"}))
        assert len(rows) == count, endpoint
    rows = read_csv(api.get("/api/v1/communities/", {"format": "csv", "page_size": 2, "page": 2}))
    assert [r["code"] for r in rows] == ["010101", "010102"]


def test_csv_keeps_formulas_as_text(editor, api_data):
    client = client_for(editor)
    response = client.patch(f"/api/v1/partners/{api_data.spare_partner.pk}/", {"acronym": "=1+2"}, format="json")
    assert response.status_code == 200
    rows = read_csv(client.get("/api/v1/partners/", {"format": "csv", "partner": "=1+2"}))
    assert rows[0]["acronym"] == "'=1+2"


def test_csv_errors_come_back_as_json(api):
    response = api.get("/api/v1/indicator-values/", {"format": "csv", "year": "x"})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["errors"]["year"]


def test_wide_layout_one_row_per_community_and_year(api, api_data):
    response = api.get("/api/v1/indicator-values/", {"layout": "wide", "year": 2021, "ubigeo__startswith": "01"})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    expected = {}
    values = IndicatorValue.objects.filter(year=2021, community__code__startswith="01")
    for v in values.select_related("community", "indicator"):
        expected.setdefault(v.community.code, {})[v.indicator.code] = v.value
    assert [row["community"] for row in body["results"]] == ["01", "010101", "010102"]
    for row in body["results"]:
        assert row["year"] == 2021
        assert row["community_id"] == api_data.communities[row["community"]].pk
        assert {k: row[k] for k in ("poverty_pct", "stunting_u5_pct")} == expected[row["community"]]
        assert set(row) == {"community", "community_id", "community_name", "year", "poverty_pct", "stunting_u5_pct"}


def test_wide_layout_missing_cells_are_null_and_columns_follow_the_filter(api, api_data):
    IndicatorValue.objects.filter(community__code="010102", indicator__code="poverty_pct", year=2020).delete()
    url = "/api/v1/indicator-values/"
    rows = api.get(url, {"layout": "wide", "year": 2020, "community": "010101,010102"}).json()["results"]
    assert [r["poverty_pct"] for r in rows] == [pytest.approx(16.0), None]
    rows = api.get(url, {"layout": "wide", "indicator": "stunting_u5_pct", "community": "02"}).json()["results"]
    assert rows == []
    rows = api.get(url, {"layout": "wide", "indicator": "stunting_u5_pct", "community": "020101"}).json()["results"]
    assert [(r["year"], sorted(r)) for r in rows] == [
        (2020, ["community", "community_id", "community_name", "stunting_u5_pct", "year"]),
        (2021, ["community", "community_id", "community_name", "stunting_u5_pct", "year"]),
    ]


def test_wide_layout_pages_and_csv(api, api_data):
    body = api.get("/api/v1/indicator-values/", {"layout": "wide", "page_size": 2, "page": 2}).json()
    assert body["count"] == 8
    assert [(r["community"], r["year"]) for r in body["results"]] == [("010101", 2020), ("010101", 2021)]
    rows = read_csv(api.get("/api/v1/indicator-values/", {"layout": "wide", "format": "csv", "year": 2020}))
    assert [r["community"] for r in rows] == ["01", "010101", "010102", "020101"]
    assert list(rows[0]) == ["community", "community_id", "community_name", "year", "poverty_pct", "stunting_u5_pct"]


def test_wide_layout_refuses_two_sources_for_one_cell(api, api_data):
    poverty = Indicator.objects.get(code="poverty_pct")
    IndicatorValue(community=api_data.communities["010101"], indicator=poverty, year=2020, value=50,
                   source="inei-poverty-2018").save()
    response = api.get("/api/v1/indicator-values/", {"layout": "wide", "year": 2020})
    assert response.status_code == 400
    assert response.json()["errors"] == {"source": [str(MSG_WIDE_SOURCES % {
        "indicator": "poverty_pct", "community": "010101", "year": 2020,
        "sources": "inei-poverty-2018, synthetic-demo"})]}
    response = api.get("/api/v1/indicator-values/", {"layout": "wide", "year": 2020, "source": "inei-poverty-2018"})
    assert response.json()["results"] == [{"community": "010101", "community_id": api_data.communities["010101"].pk,
                                           "community_name": "Chachapoyas", "year": 2020, "poverty_pct": 50.0}]


def test_csv_of_an_empty_page_still_has_its_header(api):
    response = api.get("/api/v1/partners/", {"format": "csv", "partner": "nobody"})
    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.content.decode() == "id,name,acronym,kind,website,contact_email,is_active\r\n"
    response = api.get("/api/v1/indicator-values/", {"format": "csv", "layout": "wide", "year": 1999})
    assert response.content.decode() == "community,community_id,community_name,year\r\n"


def test_fast_list_of_indicator_values_equals_the_serializer(api, api_data):
    from interventions.api.serializers import IndicatorValueSerializer

    batch = __import__("interventions.models", fromlist=["ImportBatch"]).ImportBatch.objects.create(source="test")
    IndicatorValue.objects.filter(pk=api_data.value.pk).update(import_batch=batch, lower=1.0, upper=30.5, sample_size=7)
    rows = api.get("/api/v1/indicator-values/", {"page_size": 100}).json()["results"]
    expected = IndicatorValueSerializer(IndicatorValue.objects.select_related("community", "indicator"), many=True).data
    assert rows == [dict(row) for row in expected]
    assert any(row["import_batch"] == batch.pk and row["sample_size"] == 7 for row in rows)
