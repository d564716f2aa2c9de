"""The API permission matrix: every role × every endpoint × every method, exact codes."""
import re

import pytest
from django.urls import reverse

from interventions.api.permissions import MSG_NO_PARTNER, MSG_NOT_YOUR_PARTNER
from interventions.models import Community, Intervention, Partner
from tests.api_support import *  # noqa: F401,F403
from tests.api_support import client_for, make_partner_user

ENDPOINTS = ["communities", "indicators", "indicator-values", "intervention-types", "partners", "interventions"]
ACTIONS = ["list", "create", "retrieve", "update", "partial_update", "destroy"]
ROLES = ["anonymous", "nobody", "analyst", "partner_a", "partner_b", "editor", "admin"]

METHOD = {
    "list": "get", "create": "post", "retrieve": "get",
    "update": "put", "partial_update": "patch", "destroy": "delete",
}
FULL_ACCESS = {"list": 200, "create": 201, "retrieve": 200, "update": 200, "partial_update": 200, "destroy": 204}
READ_ONLY = {"list": 200, "create": 403, "retrieve": 200, "update": 403, "partial_update": 403, "destroy": 403}


def expected(role, endpoint, action):
    if role == "anonymous":
        return 401
    if role == "nobody":
        return 403
    if role in ("editor", "admin"):
        return FULL_ACCESS[action]
    if role == "analyst":
        return READ_ONLY[action]
    # Partners: read everything, write interventions of their own organisation only.
    if endpoint != "interventions":
        return READ_ONLY[action]
    if role == "partner_a":  # the target intervention is A's own
        return {**FULL_ACCESS, "destroy": 403}[action]
    # Partner B: A's intervention does not exist for it; deleting is not a partner's right.
    return {"list": 200, "create": 201, "retrieve": 404, "update": 404,
            "partial_update": 404, "destroy": 403}[action]


def target(data, endpoint):
    """The object each detail request acts on (deletable, nothing refers to it)."""
    return {
        "communities": data.spare_district,
        "indicators": data.spare_indicator,
        "indicator-values": data.value,
        "intervention-types": data.spare_type,
        "partners": data.spare_partner,
        "interventions": data.intervention_a,
    }[endpoint]


def payload(data, endpoint, role, *, for_update=False):
    partner = data.partner_b if role == "partner_b" else data.partner_a
    return {
        "communities": {"name": "Nueva"} if for_update else {"code": "010104", "name": "Nueva"},
        "indicators": {"code": "spare_indicator" if for_update else "new_indicator", "name": "New",
                       "unit": "%", "category": "health"},
        "indicator-values": {"community": "010101", "indicator": "poverty_pct",
                             "year": 2020 if for_update else 2019, "value": 33.3, "source": "synthetic-demo"},
        "intervention-types": {"code": "spare_type" if for_update else "new_type", "name": "New",
                               "category": "nutrition", "indicator": "stunting_u5_pct",
                               "target_group": "children_u5", "cost_per_beneficiary_pen": "10.00",
                               "effect_relative": 0.1, "evidence": "A trial."},
        "partners": {"name": "Spare partner" if for_update else "New partner", "kind": "ngo"},
        "interventions": {"community": "010101", "intervention_type": "iron_supplementation",
                          "partner": (data.partner_a if for_update else partner).name,
                          "start_date": "2025-01-01", "budget_pen": "100.00"},
    }[endpoint]


@pytest.fixture
def users(db, api_data, superuser, editor, analyst, staff_without_permissions, partner_a_user, partner_b_user):
    return {
        "anonymous": None, "nobody": staff_without_permissions, "analyst": analyst,
        "partner_a": partner_a_user, "partner_b": partner_b_user, "editor": editor, "admin": superuser,
    }


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix(role, endpoint, action, users, api_data):
    client = client_for(users[role])
    basename = endpoint.rstrip("s") if endpoint != "communities" else "community"
    basename = {"indicator-values": "indicatorvalue", "intervention-types": "interventiontype"}.get(endpoint, basename)
    if action in ("list", "create"):
        url = reverse(f"{basename}-list")
    else:
        url = reverse(f"{basename}-detail", args=[target(api_data, endpoint).pk])
    body = payload(api_data, endpoint, role, for_update=action in ("update", "partial_update"))
    sent = body if action != "list" and action != "retrieve" else None
    response = getattr(client, METHOD[action])(url, sent, format="json")
    assert response.status_code == expected(role, endpoint, action), response.content
    if response.status_code >= 400:
        assert set(response.json()) >= {"status", "code", "detail"}
        assert response.json()["status"] == response.status_code


@pytest.mark.parametrize("endpoint", ["communities", "interventions"])
def test_anonymous_gets_only_schema_and_docs(client, db, endpoint):
    assert client.get(reverse("api-schema")).status_code == 200
    assert client.get(reverse("api-docs")).status_code == 200
    assert client.get("/api/v1/").status_code == 401
    assert client.get(f"/api/v1/{endpoint}/").status_code == 401


def test_partner_b_cannot_see_or_change_what_partner_a_writes(partner_a_user, partner_b_user, editor, api_data):
    a, b = client_for(partner_a_user), client_for(partner_b_user)
    created = a.post("/api/v1/interventions/", {
        "community": "010102", "intervention_type": "iron_supplementation", "partner": "Asociación A",
        "start_date": "2025-02-01", "budget_pen": "250.00", "notes": "secret plan",
    }, format="json")
    assert created.status_code == 201
    new_id = created.json()["id"]
    assert a.patch(f"/api/v1/interventions/{new_id}/", {"budget_pen": "300.00"}, format="json").status_code == 200

    listed = b.get("/api/v1/interventions/").json()
    assert [row["id"] for row in listed["results"]] == [api_data.intervention_b.pk]
    assert b.get(f"/api/v1/interventions/{new_id}/").status_code == 404
    assert b.get("/api/v1/interventions/", {"search": "secret"}).json()["count"] == 0
    assert b.patch(f"/api/v1/interventions/{new_id}/", {"budget_pen": "1.00"}, format="json").status_code == 404
    assert b.put(f"/api/v1/interventions/{new_id}/", {
        "community": "010102", "intervention_type": "iron_supplementation", "partner": "Fundación B",
        "start_date": "2025-02-01", "budget_pen": "1.00"}, format="json").status_code == 404
    assert b.delete(f"/api/v1/interventions/{new_id}/").status_code == 403
    assert str(Intervention.objects.get(pk=new_id).budget_pen) == "300.00"
    assert Intervention.objects.get(pk=new_id).partner == api_data.partner_a

    everyone = client_for(editor).get("/api/v1/interventions/").json()
    assert new_id in [row["id"] for row in everyone["results"]]


def test_partner_cannot_create_for_another_partner_or_move_its_own(partner_a_user, api_data):
    a = client_for(partner_a_user)
    body = {"community": "010101", "intervention_type": "iron_supplementation", "partner_id": api_data.partner_b.pk,
            "start_date": "2025-01-01", "budget_pen": "10.00"}
    before = Intervention.objects.count()
    response = a.post("/api/v1/interventions/", body, format="json")
    assert response.status_code == 403
    assert response.json() == {"status": 403, "code": "permission_denied",
                               "detail": str(MSG_NOT_YOUR_PARTNER % {"own": api_data.partner_a})}
    assert Intervention.objects.count() == before

    url = f"/api/v1/interventions/{api_data.intervention_a.pk}/"
    response = a.patch(url, {"partner": "Fundación B"}, format="json")
    assert response.status_code == 403
    api_data.intervention_a.refresh_from_db()
    assert api_data.intervention_a.partner == api_data.partner_a


def test_partner_user_without_membership_cannot_write(django_user_model, api_data):
    loner = make_partner_user(django_user_model, "loner", None)
    client = client_for(loner)
    assert client.get("/api/v1/interventions/").json()["count"] == 0
    response = client.post("/api/v1/interventions/", {
        "community": "010101", "intervention_type": "iron_supplementation", "partner": "Asociación A",
        "start_date": "2025-01-01", "budget_pen": "10.00"}, format="json")
    assert response.status_code == 403
    assert response.json()["detail"] == str(MSG_NO_PARTNER)


def test_session_authentication_works_and_needs_csrf(editor, api_data):
    from rest_framework.test import APIClient

    client = APIClient(enforce_csrf_checks=True)
    client.force_login(editor)
    assert client.get("/api/v1/communities/").status_code == 200
    response = client.post("/api/v1/partners/", {"name": "X", "kind": "ngo"}, format="json")
    assert response.status_code == 403
    assert not Partner.objects.filter(name="X").exists()


def test_tokens_issued_and_revoked_in_the_admin(client, superuser, partner_a_user, api_data):
    from healthplanner.models import ApiToken

    client.force_login(superuser)
    response = client.post("/admin/healthplanner/apitoken/add/", {"user": partner_a_user.pk, "ttl_days": 30})
    assert response.status_code == 200, response.content[:2000]
    key = re.search(r'id="api-token-key"[^>]*>([0-9a-f]{64})<', response.content.decode()).group(1)
    api = client_for(None)
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/v1/interventions/").status_code == 200

    token = ApiToken.objects.get(user=partner_a_user)
    response = client.post("/admin/healthplanner/apitoken/", {"action": "revoke", "_selected_action": [token.pk]})
    assert response.status_code == 302
    assert not ApiToken.objects.filter(user=partner_a_user).exists()
    response = api.get("/api/v1/interventions/")
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_partners_cannot_edit_in_the_admin(client, partner_a_user, api_data):
    client.force_login(partner_a_user)
    url = reverse("admin:interventions_intervention_change", args=[api_data.intervention_a.pk])
    response = client.get(url)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    # Even a partner user wrongly marked as staff only gets to read.
    partner_a_user.is_staff = True
    partner_a_user.save()
    client.force_login(partner_a_user)
    assert client.get(reverse("admin:interventions_intervention_add")).status_code == 403
    response = client.post(url, {"budget_pen": "1.00"})
    assert response.status_code == 403
    api_data.intervention_a.refresh_from_db()
    assert str(api_data.intervention_a.budget_pen) == "1500.00"


def test_community_code_cannot_change(editor, api_data):
    client = client_for(editor)
    url = f"/api/v1/communities/{api_data.spare_district.pk}/"
    response = client.patch(url, {"code": "010199", "name": "Z"}, format="json")
    assert response.status_code == 200
    assert Community.objects.get(pk=api_data.spare_district.pk).code == "010103"


def test_docs_serve_swagger_ui_from_our_own_static_files(client, db):
    page = client.get(reverse("api-docs")).content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page
    assert "cdn.jsdelivr.net" not in page


# --- The import and modeling endpoints ---------------------------------------------------
# Here without any trained model (tests/test_api_modeling.py repeats the matrix with one):
# an authorised POST to plans or predictions is then a 409, detail requests for model
# versions, scores and plans a 404 — after the permission check, which is what this tests.

NEW_ENDPOINTS = ["imports", "model-versions", "scores", "plans", "predictions", "tasks"]
VIEW_PERM = {
    "imports": "interventions.view_importbatch", "model-versions": "modeling.view_modelversion",
    "scores": "modeling.view_communityscore", "plans": "modeling.view_plan", "tasks": "modeling.view_taskrun",
}
NO_OBJECT = {"model-versions", "scores", "plans"}
READ_ONLY_ENDPOINTS = {"model-versions", "scores", "tasks"}


def expected_new(user, endpoint, action):
    if endpoint == "predictions" and action not in ("list", "create"):
        return 404  # no detail route
    if user is None:
        return 401
    if action in ("update", "partial_update", "destroy"):
        return 405
    if endpoint == "predictions":
        if action == "list":
            return 405
        return 409 if user.has_perm("modeling.view_modelversion") else 403
    if action == "create":
        if endpoint in READ_ONLY_ENDPOINTS:
            return 405
        if endpoint == "imports":
            return 201 if user.has_perm("interventions.add_importbatch") else 403
        return 409 if user.has_perm("modeling.add_plan") else 403  # plans
    if not user.has_perm(VIEW_PERM[endpoint]):
        return 403
    return 404 if action == "retrieve" and endpoint in NO_OBJECT else 200


def new_request(client, endpoint, action, objects):
    url = f"/api/v1/{endpoint}/"
    if action not in ("list", "create"):
        url += f"{objects.get(endpoint, 999999)}/"
    if endpoint == "imports" and action == "create":
        from django.core.files.uploadedfile import SimpleUploadedFile

        upload = SimpleUploadedFile("v.csv", b"ubigeo,indicator,year,value\n010101,poverty_pct,2019,40.5\n")
        return client.post(url, {"file": upload, "source": "matrix-test"}, format="multipart")
    body = {"plans": {"budget_pen": "1000.00"}, "predictions": {"community": "010101"}}.get(endpoint, {})
    return getattr(client, METHOD[action])(url, body if action not in ("list", "retrieve") else None, format="json")


@pytest.fixture
def new_objects(api_data):
    from interventions.importers import Context, GenericAdapter, InputFile, run_import
    from modeling.services.runs import run_create

    batch = run_import(adapter=GenericAdapter(source="matrix-seed"), context=Context(),
                       file=InputFile(name="s.csv", data=b"ubigeo,indicator,year,value\n010102,poverty_pct,2019,3\n"))
    assert batch.status == "succeeded", batch.errors
    return {"imports": batch.pk, "tasks": run_create(kind="score").pk}


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("endpoint", NEW_ENDPOINTS)
@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix_import_and_modeling_endpoints(role, endpoint, action, users, new_objects):
    user = users[role]
    response = new_request(client_for(user), endpoint, action, new_objects)
    assert response.status_code == expected_new(user, endpoint, action), response.content
    if response.status_code >= 400:
        assert response.json()["status"] == response.status_code


def test_roles_grant_the_modeling_reads_decided(users):
    partner, editor, analyst = users["partner_a"], users["editor"], users["analyst"]
    for perm in ("modeling.view_modelversion", "modeling.view_communityscore", "modeling.view_plan",
                 "modeling.view_planitem"):
        assert partner.has_perm(perm) and editor.has_perm(perm) and analyst.has_perm(perm), perm
    assert not partner.has_perm("modeling.view_taskrun") and not partner.has_perm("interventions.view_importbatch")
    assert analyst.has_perm("modeling.add_plan") and not editor.has_perm("modeling.add_plan")
    # Partners run their own scenarios (issue 10), and change no plan.
    assert partner.has_perm("modeling.add_plan") and not partner.has_perm("modeling.change_plan")
    assert editor.has_perm("interventions.add_importbatch") and not analyst.has_perm("interventions.add_importbatch")
