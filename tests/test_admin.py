"""Every model staff work with in the admin: pages, permissions, search, filters, export,
history."""
from datetime import date
from decimal import Decimal

import pytest
from django.contrib import admin
from django.urls import reverse

from interventions.models import (
    Community,
    ImportBatch,
    Intervention,
    InterventionType,
    Partner,
    PartnerMember,
)

pytestmark = pytest.mark.django_db

OUR_APPS = {"interventions", "modeling"}
ADMIN_MODELS = sorted(
    (model for model in admin.site._registry if model._meta.app_label in OUR_APPS),
    key=lambda model: model._meta.label,
)


def _url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.fixture(scope="module")
def module_data(demo_module, django_db_blocker):
    """The small demo plus one of each object the demo does not make, once per module."""
    from django.contrib.auth import get_user_model

    with django_db_blocker.unblock():
        user = get_user_model().objects.create_user("member", password="x")
        PartnerMember.objects.create(user=user, partner=Partner.objects.first())
        ImportBatch.objects.create(source="test-source", file_name="t.csv", sha256="0" * 64,
                                   errors=[{"row": 3, "column": "value", "message": "not a number"}])
        _model_objects()
    return demo_module


def _model_objects():
    """A model version, its scores, a plan and their task runs, made by the same
    services users trigger (a tiny, quick training configuration)."""
    from modeling.models import TaskKind
    from modeling.services.planning import plan_compute, plan_create
    from modeling.services.runs import run_now
    from tests.modeling_helpers import TRAIN_PARAMS, shared_training

    with shared_training():
        train = run_now(kind=TaskKind.TRAIN, params=TRAIN_PARAMS)
    assert train.status == "succeeded", train.error
    score = run_now(kind=TaskKind.SCORE, model_version=train.model_version)
    assert score.status == "succeeded", score.error
    plan = plan_create(budget_pen=Decimal("100000"), draws=20)
    plan_compute(plan=plan)


@pytest.fixture
def data(module_data, db):
    return module_data


def _an_object(model):
    obj = model.objects.order_by("pk").first()
    assert obj is not None, f"the test data have no {model._meta.label}: add one to the fixture"
    return obj


@pytest.mark.parametrize("model", ADMIN_MODELS, ids=lambda m: m._meta.label)
def test_superuser_sees_changelist_add_and_change(client, superuser, data, model):
    client.force_login(superuser)
    model_admin = admin.site._registry[model]
    assert client.get(_url(model, "changelist")).status_code == 200
    can_add = model_admin.has_add_permission(type("R", (), {"user": superuser})())
    assert client.get(_url(model, "add")).status_code == (200 if can_add else 403)
    obj = _an_object(model)
    assert client.get(_url(model, "change", obj.pk)).status_code == 200
    if hasattr(model, "history"):
        assert client.get(_url(model, "history", obj.pk)).status_code == 200


@pytest.mark.parametrize("model", ADMIN_MODELS, ids=lambda m: m._meta.label)
def test_anonymous_is_sent_to_login(client, data, model):
    obj = _an_object(model)
    for url in (_url(model, "changelist"), _url(model, "add"), _url(model, "change", obj.pk)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))


@pytest.mark.parametrize("model", ADMIN_MODELS, ids=lambda m: m._meta.label)
def test_staff_without_permission_gets_403(client, staff_without_permissions, data, model):
    client.force_login(staff_without_permissions)
    obj = _an_object(model)
    for url in (_url(model, "changelist"), _url(model, "add"), _url(model, "change", obj.pk)):
        assert client.get(url).status_code == 403, url


@pytest.mark.parametrize("model", ADMIN_MODELS, ids=lambda m: m._meta.label)
def test_search_and_every_filter_work(client, superuser, data, model):
    client.force_login(superuser)
    model_admin = admin.site._registry[model]
    changelist = _url(model, "changelist")
    if model_admin.search_fields:
        response = client.get(changelist, {"q": "0101"})
        assert response.status_code == 200
        assert "e=1" not in response.get("Location", "")
    response = client.get(changelist)
    checked = 0
    for spec in response.context["cl"].filter_specs:
        choices = [c for c in spec.choices(response.context["cl"]) if not c.get("selected")]
        assert choices, f"filter {spec.title} offers nothing to choose"
        for choice in choices[:6]:
            filtered = client.get(changelist + choice["query_string"])
            assert filtered.status_code == 200, (spec.title, choice["query_string"])
            checked += 1
    assert checked >= len(model_admin.list_filter)


def test_filters_narrow_the_list(client, superuser, data):
    client.force_login(superuser)
    url = _url(Community, "changelist")
    everything = client.get(url).context["cl"].result_count
    districts = client.get(url, {"level__exact": "district"}).context["cl"].result_count
    department_01 = client.get(url, {"department": "01"}).context["cl"].result_count
    assert 0 < districts < everything
    assert department_01 == Community.objects.filter(code__startswith="01").count() < everything
    found = client.get(url, {"q": "Amazonas"}).context["cl"].result_count
    assert found >= 1


def test_editor_can_edit_but_analyst_only_reads(client, editor, analyst, data):
    itype = InterventionType.objects.get(code="deworming")
    client.force_login(analyst)
    assert client.get(_url(InterventionType, "change", itype.pk)).status_code == 200
    assert client.post(_url(InterventionType, "change", itype.pk), {}).status_code == 403
    assert client.get(_url(InterventionType, "add")).status_code == 403
    client.force_login(editor)
    assert client.get(_url(InterventionType, "add")).status_code == 200


def test_changelist_exports_csv(client, superuser, data):
    client.force_login(superuser)
    url = _url(Community, "export")
    form = client.get(url, {"level__exact": "department"}).context["form"]
    payload = {"format": "0", "resource": "0"}
    payload.update({name: "on" for name, field in form.fields.items() if field.__class__.__name__ == "BooleanField"})
    response = client.post(url + "?level__exact=department", payload)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    lines = response.content.decode("utf-8").strip().splitlines()
    assert len(lines) == 1 + Community.objects.filter(level="department").count()
    assert "Amazonas" in response.content.decode("utf-8")


def test_every_model_admin_can_export(client, superuser, data):
    client.force_login(superuser)
    for model in ADMIN_MODELS:
        assert client.get(_url(model, "export")).status_code == 200, model


def test_community_page_shows_its_interventions_inline(client, superuser, data):
    client.force_login(superuser)
    intervention = Intervention.objects.select_related("community").first()
    response = client.get(_url(Community, "change", intervention.community.pk))
    assert response.status_code == 200
    assert intervention.intervention_type.name in response.content.decode()


def _change_form_data(response):
    """The change form's current values, as the browser would post them back."""
    form = response.context["adminform"].form
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None:
            continue
        data[name] = value
    for formset in response.context.get("inline_admin_formsets", []):
        fs = formset.formset
        data.update({f"{fs.prefix}-{k}": v for k, v in fs.management_form.initial.items()})
        for i, f in enumerate(fs.forms):
            for name in f.fields:
                v = f[name].value()
                if v is not None:
                    data[f"{fs.prefix}-{i}-{name}"] = v
    return data


def test_admin_edit_is_recorded_with_author_and_can_be_reverted(client, editor, data):
    client.force_login(editor)
    itype = InterventionType.objects.get(code="iron_supplementation")
    old_cost = itype.cost_per_beneficiary_pen
    url = _url(InterventionType, "change", itype.pk)
    payload = _change_form_data(client.get(url))
    payload["cost_per_beneficiary_pen"] = "99.50"
    response = client.post(url, payload)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    itype.refresh_from_db()
    assert itype.cost_per_beneficiary_pen == Decimal("99.50")

    latest = itype.history.latest()
    assert latest.history_user == editor
    assert latest.history_type == "~"
    previous = latest.prev_record
    assert previous.cost_per_beneficiary_pen == old_cost

    # Revert through the admin's history page for the previous version.
    revert_url = reverse("admin:interventions_interventiontype_simple_history", args=[itype.pk, previous.history_id])
    revert_form = client.get(revert_url)
    assert revert_form.status_code == 200
    response = client.post(revert_url, _change_form_data(revert_form))
    assert response.status_code == 302
    itype.refresh_from_db()
    assert itype.cost_per_beneficiary_pen == old_cost
    assert itype.history.latest().history_user == editor


def test_history_page_lists_changes(client, superuser, data):
    client.force_login(superuser)
    partner = Partner.objects.first()
    url = _url(Partner, "change", partner.pk)
    payload = _change_form_data(client.get(url))
    payload["contact_email"] = "contacto@example.org"
    assert client.post(url, payload).status_code == 302
    page = client.get(_url(Partner, "history", partner.pk))
    assert page.status_code == 200
    assert "root" in page.content.decode()


def test_admin_speaks_spanish_by_default_and_english_on_request(client, superuser, data, settings):
    from healthplanner import settings as production

    assert production.LANGUAGE_CODE == "es"
    settings.LANGUAGE_CODE = production.LANGUAGE_CODE
    client.force_login(superuser)
    page = client.get(reverse("admin:index")).content.decode()
    assert "Comunidades e intervenciones" in page
    assert "Tipos de intervención" in page
    page = client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Communities and interventions" in page
    # The language switcher in the header sets the language for the session.
    response = client.post(reverse("set_language"), {"language": "en", "next": "/admin/"})
    assert response.status_code == 302
    page = client.get(reverse("admin:index")).content.decode()
    assert "Intervention types" in page


def test_intervention_form_refuses_end_before_start_in_spanish(client, editor, data):
    client.force_login(editor)
    community = Community.objects.filter(level="district").first()
    payload = {
        "community": community.pk,
        "intervention_type": InterventionType.objects.get(code="deworming").pk,
        "partner": Partner.objects.first().pk,
        "status": "planned",
        "start_date": "2025-05-01",
        "end_date": "2025-04-01",
        "budget_pen": "100",
    }
    response = client.post(_url(Intervention, "add"), payload, HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == 200
    assert "La fecha de fin no puede ser anterior a la fecha de inicio." in response.content.decode()
    assert not Intervention.objects.filter(start_date=date(2025, 5, 1)).exists()


PAYLOADS = ["==1+1", "+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0", "a\x07bell"]


def _export(client, model, fmt, ids):
    url = _url(model, "export")
    form = client.get(url).context["form"]
    payload = {"format": fmt, "resource": "0"}
    payload.update({name: "on" for name, field in form.fields.items() if field.__class__.__name__ == "BooleanField"})
    return client.post(url + "?id__in=" + ",".join(map(str, ids)), payload)


def test_exports_neutralise_formulas_and_control_characters(client, superuser, data):
    """Audit rows 2 and 6: notes like ``==1+1`` or ``+cmd…`` came out of the admin's CSV as
    live formulas (``==1+1`` as ``=1+1``) and as formula cells in XLSX; a control character
    made every XLSX export of interventions fail."""
    import io

    import openpyxl

    from healthplanner.exports import safe_cell

    template = Intervention.objects.first()
    made = []
    for note in PAYLOADS:
        template.pk = None
        template.notes = note
        template.save()
        made.append(template.pk)
    client.force_login(superuser)
    csv_body = _export(client, Intervention, "0", made).content.decode("utf-8")
    for note in PAYLOADS:
        assert safe_cell(note) in csv_body or safe_cell(note).replace('"', '""') in csv_body, note
    assert "\n=1+1" not in csv_body and ",=1+1" not in csv_body and "\x07" not in csv_body
    response = _export(client, Intervention, "1", made)
    assert response.status_code == 200, response.content[:300]
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    cells = [c for row in sheet.iter_rows() for c in row]
    assert not [c.value for c in cells if c.data_type == "f"], "a formula cell was written"
    notes = {c.value for c in cells if isinstance(c.value, str)}
    assert {safe_cell(n) for n in PAYLOADS} <= notes
    assert safe_cell("==1+1") == "'==1+1" and safe_cell("a\x07bell") == "a\ufffdbell" and safe_cell(-2) == -2
