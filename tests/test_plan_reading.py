"""A computed plan as planners read it: the admin's plan page (read-only summary, lines 50
a page, filters, the formula behind each line), the printable report (staff only, an SVG
map of the region's districts, the XLSX workbook) and the lines as downloads (JSON, CSV,
XLSX; page_size=all up to API_EXPORT_MAX_ROWS). One model is trained and scored once for
the module, and two plans computed, by the same services users trigger."""
import csv
import io
import re
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from openpyxl import load_workbook

from healthplanner import formatting
from healthplanner.api.pagination import MSG_TOO_MANY_ROWS
from interventions import roles
from interventions.choices import Level
from interventions.models import Community, InterventionType, Partner
from modeling.admin_pages import PLAN_LINES_PER_PAGE
from modeling.models import Plan, PlanItem, PlanStatus, TaskKind, TaskStatus
from modeling.services.reports import line_explanations
from tests.api_support import clear_throttle_cache, client_for, make_partner_user  # noqa: F401
from tests.conftest import make_user

pytestmark = pytest.mark.slow

LONG_DECIMAL = re.compile(r"\d[.,]\d{4,}")  # 22,869077376813696 or 2.4025


@pytest.fixture(scope="module")
def plans(demo_module, django_db_blocker):
    """A national plan with more than one page of lines, and a regional one (Amazonas)
    with a budget curve; trained, scored and computed once."""
    from modeling.services.planning import plan_compute, plan_create
    from modeling.services.runs import run_now
    from tests.modeling_helpers import TRAIN_PARAMS, shared_training

    with django_db_blocker.unblock():
        with shared_training():
            train = run_now(kind=TaskKind.TRAIN, params=TRAIN_PARAMS)
        assert train.status == TaskStatus.SUCCEEDED, train.error
        version = train.model_version
        score = run_now(kind=TaskKind.SCORE, model_version=version)
        assert score.status == TaskStatus.SUCCEEDED, score.error
        national = plan_compute(plan=plan_create(budget_pen=Decimal("3000000"), name="Nacional", draws=10))
        region = Community.objects.get(code="01")
        regional = plan_compute(plan=plan_create(budget_pen=Decimal("400000"), region=region, name="Amazonas",
                                                 draws=10, curve_multiples=[0.5, 1, 2]))
    return {"national": national.pk, "regional": regional.pk}


@pytest.fixture
def national(plans, db):
    return Plan.objects.get(pk=plans["national"])


@pytest.fixture
def regional(plans, db):
    return Plan.objects.get(pk=plans["regional"])


@pytest.fixture
def root(db, django_user_model):
    return make_user(django_user_model, "root", superuser=True)


def spanish_client(user):
    client = Client(headers={"accept-language": "es"})
    client.force_login(user)
    return client


def page_url(plan, **params):
    url = reverse("admin:modeling_plan_change", args=[plan.pk])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")


def visible_text(html):
    """The page's text without its style and script blocks and without tags' attributes."""
    html = re.sub(r"(?s)<(style|script)\b.*?</\1>", " ", html)
    return re.sub(r"<[^>]+>", " ", html)


# --- formatting -----------------------------------------------------------------------

def test_numbers_are_written_as_peru_reads_them():
    with translation.override("es"):
        assert formatting.amount_pen(Decimal("1234567.891")) == "S/\xa01\xa0234\xa0567,89"
        assert formatting.number(22.869077376813696, 1) == "22,9"
        assert formatting.percent(30.04) == "30,0\xa0%"
        assert formatting.share(0.4567) == "45,7\xa0%"
        assert [formatting.ratio(v) for v in (0.30812, 63.0812, 1234.5, 0.3, 2.4025)] == [
            "0,308", "63,1", "1\xa0235", "0,3", "2,4"]
        assert formatting.number(-0.01, 1) == "0,0" and formatting.amount_pen(None) == "—"
    with translation.override("en"):
        assert formatting.amount_pen("1999998.12") == "S/\xa01,999,998.12"


# --- the plan page ----------------------------------------------------------------------

def test_plan_page_is_a_rounded_read_only_summary_in_spanish(national, root):
    client = spanish_client(root)
    response = client.get(page_url(national))
    assert response.status_code == 200
    html = response.content.decode()
    text = visible_text(html)
    assert not LONG_DECIMAL.findall(text), LONG_DECIMAL.findall(text)[:5]
    with translation.override("es"):
        assert formatting.amount_pen(national.budget_pen) in text
        assert formatting.amount_pen(national.total_cost_pen) in text
        assert formatting.number(national.total_cases_averted, 1) in text
    assert "Casos evitados" in text and "Cases averted" not in text
    # No form, no raw catalogue; each type by its name in the active language, never the
    # name the plan froze when computed if that differs.
    assert "<textarea" not in html and '"cost_per_beneficiary_pen"' not in html
    assert 'name="_save"' not in html
    types = InterventionType.objects.filter(pk__in=national.items.values("intervention_type_id"))
    for itype in types:
        with translation.override("es"):
            spanish = str(itype.name)
        with translation.override("en"):
            english = str(itype.name)
        assert spanish in text
        if english != spanish:
            assert english not in text
    for entry in national.catalogue:
        with translation.override("es"):
            live = str(InterventionType.objects.get(code=entry["code"]).name)
        if entry["name"] != live:
            assert entry["name"] not in text
    # The computed plan is not edited.
    before = (national.budget_pen, national.name)
    assert client.post(page_url(national), {"name": "x", "budget_pen": "1"}).status_code == 403
    national.refresh_from_db()
    assert (national.budget_pen, national.name) == before


def test_plan_page_lines_fifty_a_page_with_filters_and_district_links(national, root):
    client = spanish_client(root)
    total = national.items.count()
    assert total > PLAN_LINES_PER_PAGE == 50
    first = client.get(page_url(national)).content.decode()
    assert first.count('<tr class="plan-line">') == 50
    last_page = -(-total // 50)
    last = client.get(page_url(national, page=last_page)).content.decode()
    assert last.count('<tr class="plan-line">') == total - 50 * (last_page - 1)
    line = national.items.order_by("rank").first()
    assert reverse("admin:interventions_community_change", args=[line.community_id]) in first

    department = line.community.code[:2]
    in_department = national.items.filter(community__code__startswith=department).count()
    body = client.get(page_url(national, department=department)).content.decode()
    assert body.count('<tr class="plan-line">') == min(in_department, 50)
    codes = re.findall(r'<span class="quiet">(\d{6})</span>', body)
    assert codes and all(code.startswith(department) for code in codes)

    itype = line.intervention_type
    of_type = national.items.filter(intervention_type=itype).count()
    body = client.get(page_url(national, type=itype.code)).content.decode()
    assert body.count('<tr class="plan-line">') == min(of_type, 50)


def test_each_lines_why_is_its_formula_with_its_numbers(national):
    lines = list(national.items.select_related("community", "intervention_type").order_by("rank")[:30])
    with translation.override("es"):
        why = line_explanations(plan=national, lines=lines)
    for line in lines:
        n = why[line.pk]["numbers"]
        assert n["children"] * n["affected"] * n["effect"] * n["prevalence"] == pytest.approx(line.cases_averted,
                                                                                              rel=1e-6)
        assert float(n["per_case"]) == pytest.approx(float(line.cost_pen) / line.cases_averted, rel=1e-6)
        text = why[line.pk]["text"]
        with translation.override("es"):
            assert formatting.amount_pen(line.cost_pen) in text and formatting.share(n["prevalence"]) in text
        assert "niños alcanzados" in text and not LONG_DECIMAL.search(text)


# --- the printable report -------------------------------------------------------------

def test_report_requires_a_staff_login_and_view_permission(regional, django_user_model):
    url = reverse("plan_report", args=[regional.pk])
    anonymous = Client().get(url)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith(reverse("admin:login"))
    partner = make_partner_user(django_user_model, "partner", Partner.objects.order_by("pk").first())
    assert spanish_client(partner).get(url).status_code == 302  # not staff
    nobody = make_user(django_user_model, "nobody")
    assert spanish_client(nobody).get(url).status_code == 403
    analyst = make_user(django_user_model, "analyst", groups=[roles.ANALYSTS])
    response = spanish_client(analyst).get(url)
    assert response.status_code == 200 and "@page { size: A4" in response.content.decode()
    draft = Plan.objects.create(name="draft", budget_pen=Decimal("1"), model_version=regional.model_version)
    assert draft.status == PlanStatus.DRAFT
    assert spanish_client(analyst).get(reverse("plan_report", args=[draft.pk])).status_code == 404


def test_report_map_has_one_shape_per_district_of_the_region(regional, root):
    districts = list(Community.objects.filter(level=Level.DISTRICT, code__startswith=regional.region.code))
    assert len(districts) > 5
    # Boundaries as the boundaries importer stores them (GeoJSON); one without a shape
    # but with a position is drawn as a small square.
    for i, district in enumerate(districts[1:]):
        x, y = -78.0 + (i % 10) * 0.1, -6.0 - (i // 10) * 0.1
        district.geometry = {"type": "Polygon",
                             "coordinates": [[[x, y], [x + 0.1, y], [x + 0.1, y - 0.1], [x, y - 0.1], [x, y]]]}
        district.save(update_fields=["geometry"])
    Community.objects.filter(pk=districts[0].pk).update(geometry=None, latitude=-6.5, longitude=-77.5)
    html = spanish_client(root).get(reverse("plan_report", args=[regional.pk])).content.decode()
    svg = re.search(r'(?s)<svg class="report-map".*?</svg>', html).group(0)
    codes = re.findall(r'<path data-code="(\d{6})"', svg)
    assert sorted(codes) == sorted(d.code for d in districts)
    funded = set(regional.items.values_list("community__code", flat=True))
    fills = dict(re.findall(r'<path data-code="(\d{6})" fill="(#[0-9a-f]{6})"', svg))
    assert funded and all(fills[c] != "#f0f0f0" for c in funded)
    assert all(fills[d.code] == "#f0f0f0" for d in districts if d.code not in funded)
    text = visible_text(html)
    assert not LONG_DECIMAL.findall(text), LONG_DECIMAL.findall(text)[:5]
    assert 'class="budget-curve"' in html and 'id="provenance"' in html
    assert f"v{regional.model_version_id}" in text


def test_report_as_xlsx_has_a_summary_and_one_row_per_line(regional, root):
    response = spanish_client(root).get(reverse("plan_report", args=[regional.pk]), {"format": "xlsx"})
    assert response.status_code == 200
    assert f'filename="plan-{regional.pk}-report.xlsx"' in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Resumen", "Líneas"]
    rows = list(book["Líneas"].iter_rows(values_only=True))
    assert len(rows) - 1 == regional.items.count()
    assert [r[0] for r in rows[1:]] == list(regional.items.order_by("rank").values_list("rank", flat=True))
    summary = {r[0]: r[1:] for r in book["Resumen"].iter_rows(values_only=True) if r and r[0]}
    with translation.override("es"):
        budget, cases = gettext("Budget (PEN)"), gettext("Cases averted")
    assert summary[budget][0] == float(regional.budget_pen)
    assert summary[cases][0] == regional.total_cases_averted


# --- downloads ------------------------------------------------------------------------

def test_lines_endpoint_paginates_filters_and_scopes_partners(national, db, django_user_model):
    analyst = make_user(django_user_model, "analyst", groups=[roles.ANALYSTS])
    client = client_for(analyst)
    url = f"/api/v1/plans/{national.pk}/lines/"
    body = client.get(url).json()
    assert body["count"] == national.items.count() and len(body["results"]) == 50
    assert [r["rank"] for r in body["results"]] == list(range(1, 51))
    department = body["results"][0]["community"][:2]
    narrowed = client.get(url, {"department": department, "page_size": 1000}).json()
    assert narrowed["count"] == national.items.filter(community__code__startswith=department).count()
    assert all(r["community"].startswith(department) for r in narrowed["results"])
    itype = body["results"][0]["intervention_type"]
    assert client.get(url, {"intervention_type": itype}).json()["count"] == national.items.filter(
        intervention_type__code=itype).count()
    assert client.get(url, {"department": "1"}).status_code == 400
    assert client.get("/api/v1/plans/abc/lines/").status_code == 404

    mine, theirs = Partner.objects.order_by("pk")[:2]
    partner_user = make_partner_user(django_user_model, "partner", mine)
    assert client_for(partner_user).get(url).status_code == 200  # the directorate's plan
    Plan.objects.filter(pk=national.pk).update(partner=theirs)
    assert client_for(partner_user).get(url).status_code == 404


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_lines_as_csv_and_xlsx_have_one_row_per_line(national, db, django_user_model, fmt):
    client = client_for(make_user(django_user_model, "analyst", groups=[roles.ANALYSTS]))
    response = client.get(f"/api/v1/plans/{national.pk}/lines/", {"format": fmt, "page_size": "all"})
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="plan-{national.pk}-lines.{fmt}"'
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(response.content.decode())))
    else:
        rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    header, rows = rows[0], rows[1:]
    assert len(rows) == national.items.count() > 50
    ranks = [int(r[header.index("rank")]) for r in rows]
    assert ranks == list(PlanItem.objects.filter(plan=national).order_by("rank").values_list("rank", flat=True))
    if fmt == "xlsx":
        assert isinstance(rows[0][header.index("cost_pen")], float)
        assert rows[0][header.index("community")] == national.items.get(rank=1).community.code


def test_page_size_all_beyond_the_export_cap_is_a_400_not_a_short_file(national, db, django_user_model, settings):
    settings.API_EXPORT_MAX_ROWS = 10
    client = client_for(make_user(django_user_model, "analyst", groups=[roles.ANALYSTS]))
    count = national.items.count()
    response = client.get(f"/api/v1/plans/{national.pk}/lines/", {"format": "csv", "page_size": "all"})
    assert response.status_code == 400 and response["Content-Type"].startswith("application/json")
    assert str(MSG_TOO_MANY_ROWS % {"count": count, "max": 10}) in str(response.json())
    # Any list: every matching row when asked, within the cap.
    settings.API_EXPORT_MAX_ROWS = 100000
    scores = client.get("/api/v1/scores/", {"format": "csv", "page_size": "all"})
    rows = list(csv.reader(io.StringIO(scores.content.decode())))
    assert len(rows) - 1 == client.get("/api/v1/scores/").json()["count"] > 50
