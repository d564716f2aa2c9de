"""Issue 13, rows 2, 6, 7 and 10: every export keeps formula-like text inert and survives
control characters; the API renders any body as CSV, checks shapes, UBIGEO codes and
conflicting fields, always with a 4xx in its error shape. (Row 4, the JSON depth and size
limits: tests/test_api_errors.py.)"""
import csv
import io
import json
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse

from healthplanner.api.renderers import CSVRenderer
from healthplanner.exports import XLSX_MAX_CELL, safe_cell
from interventions.models import Community, Intervention
from interventions.models.geometry import (
    MSG_GEOMETRY_OPEN_RING,
    MSG_GEOMETRY_POSITION,
    MSG_GEOMETRY_RANGE,
    MSG_GEOMETRY_SHORT_RING,
    MSG_GEOMETRY_TYPE,
)
from tests.api_support import *  # noqa: F401,F403
from tests.api_support import client_for
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

# The audit's payloads, each with the cell a spreadsheet must show (as text, never run).
PAYLOADS = {
    "==1+1": "'==1+1",
    "+cmd|' /C calc'!A0": "'+cmd|' /C calc'!A0",
    "-2+3": "'-2+3",
    "@SUM(A1)": "'@SUM(A1)",
    "\tx": "'\tx",
    "\rx": "'\rx",
    "a\x07b": "a\ufffdb",
}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def error(response, status):
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["status"] == status and set(body) <= {"status", "code", "detail", "errors"}
    return body


@pytest.fixture
def root(django_user_model):
    return make_user(django_user_model, "exports-root", superuser=True)


@pytest.fixture
def payload_interventions(api_data):
    made = []
    for note in PAYLOADS:
        obj = Intervention.objects.get(pk=api_data.intervention_a.pk)
        obj.pk = None
        obj.notes = note
        obj.budget_pen = Decimal("-0.00") + Decimal("1234.50")
        obj.save()
        made.append(obj.pk)
    return made


def _admin_export(client, model, fmt, ids):
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_export")
    form = client.get(url).context["form"]
    names = [str(f) for f in form.fields["format"].choices]
    payload = {"format": fmt, "resource": "0"}
    payload.update({name: "on" for name, field in form.fields.items() if field.__class__.__name__ == "BooleanField"})
    response = client.post(url + "?id__in=" + ",".join(map(str, ids)), payload)
    assert response.status_code == 200, (names, response.content[:300])
    return response


def _csv_rows(text):
    return list(csv.DictReader(io.StringIO(text, newline="")))


def _assert_inert_text(cells):
    for value in cells:
        if isinstance(value, str) and value.startswith(FORMULA_START):
            assert safe_cell(value) == value and not value.startswith("'"), f"live formula: {value!r}"


def test_safe_cell_rules():
    for payload, shown in PAYLOADS.items():
        assert safe_cell(payload) == shown
    # Plain numbers written as text are not formulas (Peru's coordinates are negative).
    numbers = ["-12.05", "-6,2", "+51", "-3e2", -2, None]
    assert [safe_cell(v) for v in numbers] == numbers
    assert safe_cell("x\ufffey\x00z") == "x\ufffdy\ufffdz"
    assert safe_cell("line\nbreak") == "line\nbreak"


def test_a_deeply_nested_body_to_any_write_is_a_400(root, api_data):
    """Row 4: every POST (and PUT, PATCH) with a body nested 1,000 levels deep was a 500."""
    from healthplanner.api.parsers import MAX_JSON_DEPTH, MSG_TOO_DEEP

    api = client_for(root)
    detail = {"interventions": api_data.intervention_a.pk, "communities": api_data.communities["01"].pk,
              "partners": api_data.partner_a.pk, "indicators": api_data.spare_indicator.pk,
              "intervention-types": api_data.itype.pk, "indicator-values": api_data.value.pk}
    answered = set()
    for name, url in api.get("/api/v1/").json().items():
        targets = [("POST", url)] + ([("PUT", f"{url}{detail[name]}/"), ("PATCH", f"{url}{detail[name]}/")]
                                     if name in detail else [])
        for method, target in targets:
            for depth in (1000, 100_000):
                response = api.generic(method, target, "[" * depth + "]" * depth, content_type="application/json")
                assert response.status_code in (400, 405, 415), (method, target, response.status_code)
                body = error(response, response.status_code)
                if response.status_code == 400:
                    assert body["detail"] == str(MSG_TOO_DEEP % {"depth": MAX_JSON_DEPTH})
                    answered.add((method, name))
    assert {("POST", "interventions"), ("PATCH", "communities"), ("POST", "predictions"), ("POST", "plans")} <= answered


def test_admin_csv_export_keeps_every_payload_inert(client, root, payload_interventions):
    client.force_login(root)
    content = _admin_export(client, Intervention, "0", payload_interventions).content
    assert content.startswith(b"\xef\xbb\xbf")  # the BOM: spreadsheets read the file as UTF-8
    rows = _csv_rows(content.decode("utf-8-sig"))
    notes_column = next(name for name in rows[0] if name.lower() in ("notes", "notas"))
    assert sorted(row[notes_column] for row in rows) == sorted(PAYLOADS.values())
    for row in rows:
        _assert_inert_text(row.values())


def test_admin_xlsx_export_writes_text_as_strings_and_numbers_as_numbers(client, root, api_data, payload_interventions):
    """Row 6: a \\x07 made every XLSX export fail; row 2: the XLSX cell was a live formula. And
    the numbers stay numbers (our own format was missing from the library's list of native
    formats, so every number and date came out as text, negative ones with an apostrophe)."""
    client.force_login(root)
    response = _admin_export(client, Intervention, "1", payload_interventions)
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    header = [c.value for c in sheet[1]]
    notes = header.index(next(h for h in header if str(h).lower() in ("notes", "notas")))
    budget = header.index(next(h for h in header if "budget" in str(h).lower() or "presupuesto" in str(h).lower()))
    body = list(sheet.iter_rows(min_row=2))
    assert not [c.coordinate for row in sheet.iter_rows() for c in row if c.data_type == "f"]
    # XML keeps no carriage return: the XLSX cell holds a line feed in its place.
    assert sorted(row[notes].value for row in body) == sorted(v.replace("\r", "\n") for v in PAYLOADS.values())
    assert {row[notes].data_type for row in body} == {"s"}
    assert {row[budget].value for row in body} == {1234.5} and {row[budget].data_type for row in body} == {"n"}
    _assert_inert_text(c.value for row in body for c in row)

    place = api_data.communities["010101"]
    place.latitude, place.longitude = -6.2294, -77.8714
    place.save()
    response = _admin_export(client, Community, "1", [place.pk])
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    cells = dict(zip([c.value for c in sheet[1]], [c.value for c in sheet[2]], strict=True))
    latitude = next(v for k, v in cells.items() if str(k).lower() in ("latitude", "latitud"))
    assert latitude == -6.2294


def test_xlsx_export_of_a_text_longer_than_excel_accepts(client, root, api_data):
    obj = api_data.intervention_a
    obj.notes = "=" + "x" * (XLSX_MAX_CELL + 10)
    obj.save()
    client.force_login(root)
    sheet = openpyxl.load_workbook(io.BytesIO(_admin_export(client, Intervention, "1", [obj.pk]).content)).active
    longest = max((c.value for row in sheet.iter_rows() for c in row if isinstance(c.value, str)), key=len)
    assert len(longest) == XLSX_MAX_CELL and longest.startswith("'=x") and longest.endswith("\u2026")


def test_api_csv_keeps_every_payload_inert(root, payload_interventions):
    api = client_for(root)
    response = api.get("/api/v1/interventions/", {"format": "csv", "page_size": 100})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = _csv_rows(response.content.decode("utf-8"))
    mine = [row for row in rows if int(row["id"]) in payload_interventions]
    assert sorted(row["notes"] for row in mine) == sorted(PAYLOADS.values())
    for row in rows:
        _assert_inert_text(row.values())


def test_the_csv_renderer_renders_any_body():
    """Row 7's kind: a body the renderer did not expect was a 500 (a list of texts, a value)."""
    renderer = CSVRenderer()
    for data, first_line in (
        (["=1+1", "b"], "value"), ("=text", "value"), ({"results": [1, 2]}, "value"),
        ([{"a": {"b": Decimal("1.5")}}, {"c": [1]}], "a,c"), ({1: "x", "=h": "y"}, "1,'=h"),
        ({"detail": "x", "errors": {"f": ["m"]}}, "detail,errors"), ((Decimal("2"), None), "value"),
    ):
        text = renderer.render(data).decode("utf-8")
        assert text.splitlines()[0] == first_line, (data, text)
        _assert_inert_text(cell for row in csv.reader(io.StringIO(text)) for cell in row)


def test_every_endpoint_answers_csv_without_a_500(root, api_data):
    api = client_for(root)
    endpoints = api.get("/api/v1/").json()
    assert len(endpoints) > 5
    for url in endpoints.values():
        urls = [url]
        listed = api.get(url).json()
        first = (listed.get("results") or [None])[0] if isinstance(listed, dict) else None
        if isinstance(first, dict) and "id" in first:
            urls.append(f"{url}{first['id']}/")
        for one in urls:
            for response in (api.get(one, {"format": "csv"}), api.options(f"{one}?format=csv")):
                assert response.status_code < 500, (one, response.status_code, response.content[:200])
                if response.status_code == 200:
                    assert response["Content-Type"].startswith("text/csv"), (one, response["Content-Type"])
    # Errors keep the API's JSON error shape whatever the format asked for.
    error(api.post("/api/v1/interventions/?format=csv", {"notes": "=bad"}, format="json"), 400)


@pytest.mark.parametrize(("geometry", "message"), [
    ({"type": "Polygon", "coordinates": [[["a"]]]}, MSG_GEOMETRY_POSITION % {"where": "coordinates[0][0]"}),
    ({"type": "Point", "coordinates": [-77.0, -12.0]}, MSG_GEOMETRY_TYPE),
    ("Polygon", MSG_GEOMETRY_TYPE),
    ({"type": "Polygon", "coordinates": [[[-77, -12], [-76, -12], [-77, -12]]]},
     MSG_GEOMETRY_SHORT_RING % {"where": "coordinates[0]"}),
    ({"type": "Polygon", "coordinates": [[[-77, -12], [-76, -12], [-76, -11], [-77, -11]]]},
     MSG_GEOMETRY_OPEN_RING % {"where": "coordinates[0]"}),
    ({"type": "MultiPolygon", "coordinates": [[[[-77, -12], [-76, -12], [-76, True], [-77, -12]]]]},
     MSG_GEOMETRY_POSITION % {"where": "coordinates[0][0][2]"}),
    ({"type": "Polygon", "coordinates": [[[-77, -12], [-76, -12], [-76, -95], [-77, -12]]]},
     MSG_GEOMETRY_RANGE % {"where": "coordinates[0][2]"}),
    ({"type": "MultiPolygon", "coordinates": []}, None),
])
def test_geometry_is_checked_by_the_api_and_the_admin(client, root, api_data, geometry, message):
    """Row 10: a shape of ``[[["a"]]]`` was stored."""
    api = client_for(root)
    place = api_data.communities["010103"]
    body = error(api.patch(f"/api/v1/communities/{place.pk}/", {"geometry": geometry}, format="json"), 400)
    if message is not None:
        assert body["errors"] == {"geometry": [str(message)]}
    else:
        assert list(body["errors"]) == ["geometry"]
    place.refresh_from_db()
    assert place.geometry is None
    error(api.post("/api/v1/communities/", {"code": "0102", "name": "X", "geometry": geometry}, format="json"), 400)
    assert not Community.objects.filter(code="0102").exists()

    client.force_login(root)
    url = reverse("admin:interventions_community_change", args=[place.pk])
    response = client.post(url, {"name": place.name, "geometry": json.dumps(geometry),
                                 "interventions-TOTAL_FORMS": "0", "interventions-INITIAL_FORMS": "0"})
    assert response.status_code == 200 and response.context["adminform"].form.errors.get("geometry")
    place.refresh_from_db()
    assert place.geometry is None


def test_deeply_nested_json_in_an_admin_form_is_a_field_error(client, root, api_data):
    """A JSON field of the admin (a district's geometry, a plan's constraints) nested 1,000 or
    100,000 levels deep is a field error with the reason, never a 500; nothing is saved."""
    from healthplanner.jsonlimits import MAX_JSON_DEPTH, MSG_FIELD_TOO_DEEP

    client.force_login(root)
    place = api_data.communities["010103"]
    reason = str(MSG_FIELD_TOO_DEEP % {"depth": MAX_JSON_DEPTH})
    for depth in (1000, 100_000):
        deep = "[" * depth + "]" * depth
        response = client.post(reverse("admin:interventions_community_change", args=[place.pk]), {
            "name": place.name, "geometry": deep, "interventions-TOTAL_FORMS": "0",
            "interventions-INITIAL_FORMS": "0"})
        assert response.status_code == 200
        assert response.context["adminform"].form.errors["geometry"] == [reason]
        response = client.post(reverse("admin:modeling_plan_add"), {
            "name": "hondo", "budget_pen": "1000", "draws": "20", "seed": "1", "constraints": deep,
            "curve_multiples": "[]"})
        assert response.status_code == 200
        assert response.context["adminform"].form.errors["constraints"] == [reason]
    place.refresh_from_db()
    assert place.geometry is None
    from modeling.models import Plan
    assert not Plan.objects.filter(name="hondo").exists()


def test_a_valid_polygon_and_multipolygon_are_stored(root, api_data):
    api = client_for(root)
    place = api_data.communities["010103"]
    ring = [[-77.0, -12.0], [-76.0, -12.0], [-76.0, -11.0], [-77.0, -12.0]]
    other = [[-75, -10, 3], [-74, -10], [-74, -9], [-75, -10, 3]]
    for geometry in ({"type": "Polygon", "coordinates": [ring]},
                     {"type": "MultiPolygon", "coordinates": [[ring], [other]]}, None):
        response = api.patch(f"/api/v1/communities/{place.pk}/", {"geometry": geometry}, format="json")
        assert response.status_code == 200, response.content
        place.refresh_from_db()
        assert place.geometry == geometry


@pytest.mark.parametrize(("code", "expected"), [("99", 400), ("26", 400), ("00", 400), ("0199", 201),
                                                ("0300", 400), ("010104", 201), ("019901", 400), ("1", 400)])
def test_ubigeo_codes_follow_their_level_and_parent(client, root, api_data, code, expected):
    """Row 10: department 99 was accepted. Departments are 01–25; a province or district code
    starts with its parent's code, which must exist."""
    api = client_for(root)
    response = api.post("/api/v1/communities/", {"code": code, "name": "X"}, format="json")
    if expected == 400:
        body = error(response, 400)
        assert list(body["errors"]) == ["code"]
        assert not Community.objects.filter(code=code).exists()
        client.force_login(root)
        response = client.post(reverse("admin:interventions_community_add"), {
            "code": code, "name": "X", "interventions-TOTAL_FORMS": "0", "interventions-INITIAL_FORMS": "0"})
        assert response.status_code == 200 and response.context["adminform"].form.errors.get("code")
        assert not Community.objects.filter(code=code).exists()
    else:
        assert response.status_code == 201, response.content
        created = Community.objects.get(code=code)
        assert created.parent.code == code[:-2]


def test_conflicting_fields_are_a_400(root, api_data):
    """Row 10: the community and community_id of a request disagreeing."""
    api = client_for(root)
    one, other = api_data.communities["010101"], api_data.communities["010102"]
    before = Intervention.objects.count()
    body = error(api.post("/api/v1/interventions/", {
        "community": one.code, "community_id": other.pk, "intervention_type": "iron_supplementation",
        "partner": "Asociación A", "start_date": "2025-01-01", "budget_pen": "10.00"}, format="json"), 400)
    assert list(body["errors"]) == ["community"]
    body = error(api.post("/api/v1/interventions/", {
        "community": one.code, "intervention_type": "iron_supplementation", "partner": "Asociación A",
        "partner_id": api_data.partner_b.pk, "start_date": "2025-01-01", "budget_pen": "10.00"}, format="json"), 400)
    assert list(body["errors"]) == ["partner"]
    assert Intervention.objects.count() == before
    body = error(api.patch(f"/api/v1/interventions/{api_data.intervention_a.pk}/", {
        "community": one.code, "community_id": other.pk}, format="json"), 400)
    assert list(body["errors"]) == ["community"]
    body = error(api.post("/api/v1/predictions/", {"community": one.code, "community_id": other.pk},
                          format="json"), 400)
    assert list(body["errors"]) == ["community"]


def test_the_boundaries_importer_refuses_a_malformed_shape(api_data):
    """The importers share the check: a department's shape of ``[[["a"]]]`` refuses the file."""
    from interventions.choices import ImportStatus
    from interventions.importers import PERU_ADAPTERS, InputFile, run_import

    ring = [[-78.0, -6.0], [-77.0, -6.0], [-77.0, -5.0], [-78.0, -6.0]]
    features = [
        {"type": "Feature", "properties": {"FIRST_IDDP": "01"}, "geometry": {"type": "Polygon", "coordinates": [ring]}},
        {"type": "Feature", "properties": {"FIRST_IDDP": "02"},
         "geometry": {"type": "Polygon", "coordinates": [[["a"]]]}},
    ]
    data = json.dumps({"type": "FeatureCollection", "features": features}).encode()
    batch = run_import(adapter=PERU_ADAPTERS["boundaries"], file=InputFile(name="departments.geojson", data=data))
    assert batch.status == ImportStatus.FAILED
    messages = [e["message"] if isinstance(e, dict) else str(e) for e in batch.errors]
    assert str(MSG_GEOMETRY_POSITION % {"where": "coordinates[0][0]"}) in " ".join(messages), batch.errors
    assert not Community.objects.filter(geometry__isnull=False).exists()
    features.pop()
    data = json.dumps({"type": "FeatureCollection", "features": features}).encode()
    batch = run_import(adapter=PERU_ADAPTERS["boundaries"], file=InputFile(name="departments.geojson", data=data))
    assert batch.status == ImportStatus.SUCCEEDED, batch.errors
    assert Community.objects.get(code="01").geometry == {"type": "Polygon", "coordinates": [ring]}


def test_the_shape_message_is_in_spanish(root, api_data):
    api = client_for(root)
    place = api_data.communities["010103"]
    bad = {"type": "Polygon", "coordinates": [[["a"]]]}
    response = api.patch(f"/api/v1/communities/{place.pk}/", {"geometry": bad}, format="json",
                         HTTP_ACCEPT_LANGUAGE="es")
    assert error(response, 400)["errors"] == {
        "geometry": ["En la forma, coordinates[0][0] no es una posición: use [longitud, latitud] en números."]}


def test_every_admin_export_survives_the_payloads(client, root, api_data, payload_interventions):
    """Every model's admin export, both formats, with the payloads in text, JSON and
    timestamp fields (a task run's error and log, an import's file name and errors)."""
    from django.contrib import admin
    from django.utils import timezone

    from interventions.models import ImportBatch
    from modeling.models import TaskKind, TaskRun

    TaskRun.objects.create(kind=TaskKind.SCORE, error="=1+1\x07", log=["@SUM(A1)", "a\x07b"],
                           started_at=timezone.now())
    ImportBatch.objects.create(source="test-source", file_name="-2+3.csv", errors=[{"message": "\tx\x07"}])
    client.force_login(root)
    models = [m for m in admin.site._registry if m._meta.app_label in ("interventions", "modeling")]
    assert TaskRun in models and ImportBatch in models and Intervention in models
    for model in models:
        ids = list(model.objects.values_list("pk", flat=True)[:50]) or [0]
        text = _admin_export(client, model, "0", ids).content.decode("utf-8")
        for row in csv.reader(io.StringIO(text, newline="")):
            _assert_inert_text(row)
        sheet = openpyxl.load_workbook(io.BytesIO(_admin_export(client, model, "1", ids).content)).active
        cells = [c for row in sheet.iter_rows() for c in row]
        assert not [c.coordinate for c in cells if c.data_type == "f"], model
        _assert_inert_text(c.value for c in cells)
        assert "\x07" not in text and not any("\x07" in str(c.value) for c in cells), model
