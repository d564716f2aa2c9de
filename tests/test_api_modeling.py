"""The modeling and import endpoints: model versions, scores, plans, what-if predictions,
task runs and file uploads. One model is trained and scored once for the module, by the
same services users trigger (a tiny, quick configuration)."""
from decimal import Decimal

import pytest
from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile

from healthplanner.api.exceptions import MSG_INVALID
from interventions import roles
from interventions.api.views import MSG_IMPORT_REFUSED
from interventions.importers.forms import MSG_SOURCE_NEEDED
from interventions.importers.uploads import MSG_TOO_LARGE
from interventions.models import Community, ImportBatch, IndicatorValue, Partner
from modeling.api.serializers import MSG_NO_SUCH_INDICATOR, MSG_OUT_OF_RANGE, MSG_UNKNOWN_INDICATOR
from modeling.models import CommunityScore, ModelStatus, ModelVersion, Plan, TaskKind, TaskRun, TaskStatus
from modeling.services.planning import MSG_NO_ACTIVE_MODEL
from modeling.services.whatif import MSG_NO_ACTIVE_MODEL_AT_LEVEL
from tests.api_support import (
    clear_throttle_cache,  # noqa: F401
    client_for,
    make_partner_user,
)
from tests.conftest import make_user

pytestmark = pytest.mark.slow


def make_model():
    """Train, then score, with the real services; returns the version."""
    from modeling.services.runs import run_now
    from tests.modeling_helpers import TRAIN_PARAMS, shared_training

    with shared_training():
        train = run_now(kind=TaskKind.TRAIN, params=TRAIN_PARAMS)
    assert train.status == TaskStatus.SUCCEEDED, train.error
    score = run_now(kind=TaskKind.SCORE, model_version=train.model_version)
    assert score.status == TaskStatus.SUCCEEDED, score.error
    return train.model_version


@pytest.fixture(scope="module")
def model_data(demo_module, django_db_blocker):
    with django_db_blocker.unblock():
        version = make_model()
        assert version.status == ModelStatus.ACTIVE
    return version


@pytest.fixture
def version(model_data, db):
    return ModelVersion.objects.get(pk=model_data.pk)


@pytest.fixture
def people(version, django_user_model):
    partner = Partner.objects.order_by("pk").first()
    return {
        "analyst": make_user(django_user_model, "analyst", groups=[roles.ANALYSTS]),
        "editor": make_user(django_user_model, "editor", groups=[roles.EDITORS]),
        "partner": make_partner_user(django_user_model, "partner", partner),
        "admin": make_user(django_user_model, "root", superuser=True),
    }


# --- model versions -------------------------------------------------------------------

def test_model_versions_show_metrics_next_to_baselines(people, version):
    body = client_for(people["partner"]).get("/api/v1/model-versions/").json()
    assert body["count"] == 1
    row = body["results"][0]
    assert row["id"] == version.pk and row["target"] == "stunting_u5_pct" and row["status"] == "active"
    assert row["metrics"] == version.metrics and "wmae" in row["metrics"]
    assert row["baselines"] == version.baselines and len(row["baselines"]) >= 2
    assert "file_path" not in row
    body = client_for(people["analyst"]).get(f"/api/v1/model-versions/{version.pk}/").json()
    assert body["features"] == version.features


@pytest.mark.parametrize("params, found", [
    ({"status": "active"}, True), ({"status": "retired"}, False), ({"target": "stunting_u5_pct"}, True),
    ({"target": "anaemia_6_35m_pct"}, False), ({"level": "district"}, True), ({"level": "province"}, False),
])
def test_model_version_filters(people, version, params, found):
    body = client_for(people["editor"]).get("/api/v1/model-versions/", params).json()
    assert [r["id"] for r in body["results"]] == ([version.pk] if found else [])


def test_model_versions_are_read_only(people, version):
    client = client_for(people["admin"])
    assert client.post("/api/v1/model-versions/", {}, format="json").status_code == 405
    assert client.delete(f"/api/v1/model-versions/{version.pk}/").status_code == 405


# --- scores ---------------------------------------------------------------------------

def test_scores_are_the_active_models_ranked_priorities(people, version):
    body = client_for(people["partner"]).get("/api/v1/scores/", {"page_size": 1000}).json()
    stored = CommunityScore.objects.filter(version=version)
    assert body["count"] == stored.count() > 10
    priorities = [r["priority"] for r in body["results"]]
    assert priorities == sorted(priorities, reverse=True)
    top = body["results"][0]
    score = stored.get(community__code=top["community"])
    assert top["predicted"] == score.predicted and top["lower"] == score.lower and top["upper"] == score.upper
    assert top["lower"] <= top["predicted"] <= top["upper"]
    assert top["components"] == {"burden": score.burden_component, "equity": score.equity_component,
                                 "cost_effectiveness": score.cost_effectiveness_component}
    assert top["interventions"] == score.interventions and top["version"] == version.pk
    assert top["target"] == "stunting_u5_pct"


def test_scores_filters_and_ordering(people, version):
    client = client_for(people["analyst"])
    district = CommunityScore.objects.filter(version=version).order_by("community__code").first().community
    department = district.code[:2]
    by_department = client.get("/api/v1/scores/", {"department": department, "page_size": 1000}).json()
    assert by_department["count"] == CommunityScore.objects.filter(
        version=version, community__code__startswith=department).count() > 0
    assert all(r["community"].startswith(department) for r in by_department["results"])
    one = client.get("/api/v1/scores/", {"community": district.code}).json()
    assert [r["community"] for r in one["results"]] == [district.code]
    assert client.get("/api/v1/scores/", {"ubigeo__startswith": district.code[:4]}).json()["count"] == (
        CommunityScore.objects.filter(version=version, community__code__startswith=district.code[:4]).count())
    assert client.get("/api/v1/scores/", {"level": "province"}).json()["count"] == 0
    ascending = client.get("/api/v1/scores/", {"ordering": "priority", "page_size": 1000}).json()["results"]
    assert [r["priority"] for r in ascending] == sorted(r["priority"] for r in ascending)
    assert client.get("/api/v1/scores/", {"version": version.pk}).json()["count"] == (
        CommunityScore.objects.filter(version=version).count())


def test_scores_default_to_the_active_version_only(people, version):
    client = client_for(people["analyst"])
    total = CommunityScore.objects.filter(version=version).count()
    ModelVersion.objects.filter(pk=version.pk).update(status=ModelStatus.RETIRED)
    assert client.get("/api/v1/scores/").json()["count"] == 0
    assert client.get("/api/v1/scores/", {"version": version.pk}).json()["count"] == total
    assert client.get("/api/v1/scores/", {"version": "x"}).status_code == 400


def test_scores_csv(people, version):
    response = client_for(people["editor"]).get("/api/v1/scores/", {"format": "csv", "page_size": 5})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    lines = response.content.decode().splitlines()
    assert lines[0].startswith("id,version,target,community,community_id,community_name,year,priority,components")
    assert len(lines) == 6


# --- what-if predictions --------------------------------------------------------------

def _model_prediction(version, code, changes):
    """The model's own prediction, called directly: the scoring frame, the row changed,
    then the Keras ensemble through scoring.predict_frame."""
    from modeling.features import MISSING_SUFFIX, build_frame
    from modeling.services.scoring import predict_frame, score_year

    frame = build_frame(target=version.target.code, level=version.level, target_year=score_year(version),
                        features=version.features).frame
    frame = frame.loc[[code]].copy()
    for name, value in changes.items():
        frame[name] = value
        frame[f"{name}{MISSING_SUFFIX}"] = 0.0
    return [float(a[0]) for a in predict_frame(version, frame)]


def test_what_if_equals_the_models_own_prediction(people, version):
    score = CommunityScore.objects.filter(version=version).select_related("community").order_by("-priority").first()
    code = score.community.code
    changes = {"poverty_pct": 5.0, "water_public_network_pct": 95.0}
    response = client_for(people["partner"]).post("/api/v1/predictions/", {"community": code, "changes": changes},
                                                  format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    predicted, lower, upper = _model_prediction(version, code, changes)
    assert body["what_if"] == pytest.approx({"predicted": predicted, "lower": lower, "upper": upper}, rel=1e-6)
    # Unchanged inputs: exactly what the scores say.
    assert body["baseline"] == pytest.approx(
        {"predicted": score.predicted, "lower": score.lower, "upper": score.upper}, rel=1e-6)
    assert body["change"] == pytest.approx(body["what_if"]["predicted"] - body["baseline"]["predicted"])
    assert body["inputs"]["poverty_pct"] == 5.0 and body["changed"] == ["poverty_pct", "water_public_network_pct"]
    assert body["model_version"] == version.pk and body["year"] == score.year
    assert body["what_if"]["lower"] <= body["what_if"]["predicted"] <= body["what_if"]["upper"]
    # Less poverty and more piped water: the tiny model still moves the prediction.
    assert body["what_if"]["predicted"] != body["baseline"]["predicted"]
    by_id = client_for(people["partner"]).post("/api/v1/predictions/", {
        "community_id": score.community_id, "changes": changes}, format="json").json()
    assert by_id == body


def test_what_if_refuses_unknown_indicators_and_out_of_range_values(people, version):
    client = client_for(people["analyst"])
    code = CommunityScore.objects.filter(version=version).first().community.code
    response = client.post("/api/v1/predictions/", {"community": code, "changes": {"poverty_pct": 150}}, format="json")
    assert response.status_code == 400
    assert response.json() == {"status": 400, "code": "invalid", "detail": str(MSG_INVALID), "errors": {"changes": [
        str(MSG_OUT_OF_RANGE % {"indicator": "poverty_pct", "value": 150.0, "min": 0.0, "max": 100.0})]}}
    response = client.post("/api/v1/predictions/", {"community": code, "changes": {"no_such_code": 1}}, format="json")
    assert response.json()["errors"] == {"changes": [str(MSG_NO_SUCH_INDICATOR % {"indicator": "no_such_code"})]}
    response = client.post("/api/v1/predictions/", {"community": code, "changes": {"stunting_u5_pct": 1}},
                           format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"changes": [str(MSG_UNKNOWN_INDICATOR % {
        "indicator": "stunting_u5_pct", "version": version.pk, "inputs": ", ".join(version.features)})]}
    assert client.post("/api/v1/predictions/", {"community": "999999"}, format="json").status_code == 400
    assert client.post("/api/v1/predictions/", {}, format="json").status_code == 400


def test_what_if_without_an_active_model_is_409(people, version):
    ModelVersion.objects.filter(pk=version.pk).update(status=ModelStatus.CANDIDATE)
    code = CommunityScore.objects.filter(version=version).first().community.code
    response = client_for(people["analyst"]).post("/api/v1/predictions/", {"community": code}, format="json")
    assert response.status_code == 409
    assert response.json() == {"status": 409, "code": "no_active_model", "detail": str(
        MSG_NO_ACTIVE_MODEL_AT_LEVEL % {"target": "any indicator", "level": "district"})}


# --- plans ----------------------------------------------------------------------------

def test_analyst_creates_a_plan_queued_after_commit(people, version, django_capture_on_commit_callbacks):
    from modeling.services.runs import run_execute

    client = client_for(people["analyst"])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post("/api/v1/plans/", {
            "name": "API plan", "budget_pen": "50000.00", "intervention_types": ["iron_supplementation"],
            "draws": 10}, format="json")
    assert response.status_code == 202, response.content
    body = response.json()
    plan = Plan.objects.get(pk=body["plan"]["id"])
    assert body["plan"]["status"] == "draft" and body["plan"]["items"] == []
    assert body["plan"]["intervention_types"] == ["iron_supplementation"]
    assert body["plan"]["model_version"] == version.pk and plan.created_by == people["analyst"]
    run = TaskRun.objects.get(pk=body["task"]["id"])
    assert run.kind == TaskKind.PLAN and run.plan == plan and body["task"]["status"] == "queued"
    assert len(callbacks) == 1  # the worker gets the run only once the plan is committed

    assert run_execute(run_id=run.pk) == TaskStatus.SUCCEEDED
    detail = client_for(people["partner"]).get(f"/api/v1/plans/{plan.pk}/").json()
    assert detail["status"] == "computed" and detail["runs"][0]["status"] == "succeeded"
    assert len(detail["items"]) == plan.items.count() > 0
    assert [i["rank"] for i in detail["items"]] == list(range(1, len(detail["items"]) + 1))
    assert Decimal(detail["total_cost_pen"]) <= Decimal("50000.00")
    listed = client_for(people["editor"]).get("/api/v1/plans/", {"status": "computed"}).json()
    assert [p["id"] for p in listed["results"]] == [plan.pk] and "items" not in listed["results"][0]


def test_plan_permissions_and_errors(people, version):
    body = {"budget_pen": "1000.00"}
    assert client_for(people["editor"]).post("/api/v1/plans/", body, format="json").status_code == 403
    analyst = client_for(people["analyst"])
    response = analyst.post("/api/v1/plans/", {"budget_pen": "-1"}, format="json")
    assert response.status_code == 400 and "budget_pen" in response.json()["errors"]
    response = analyst.post("/api/v1/plans/", {**body, "target": "anaemia_6_35m_pct"}, format="json")
    assert response.status_code == 409
    assert response.json()["detail"] == str(MSG_NO_ACTIVE_MODEL % {"target": "anaemia_6_35m_pct"})
    assert not Plan.objects.exists()
    assert analyst.put("/api/v1/plans/1/", body, format="json").status_code == 405


def test_partners_run_their_own_scenarios(people, version, django_user_model, django_capture_on_commit_callbacks):
    """A partner's user creates plans recorded under its organisation; it reads its own and
    the directorate's plans, never another partner's (404); Analysts see them all."""
    from modeling.services.planning import MSG_NO_ORGANISATION, plan_compute, plan_create

    ours = Partner.objects.order_by("pk").first()
    theirs = Partner.objects.exclude(pk=ours.pk).order_by("pk").first()
    other = make_partner_user(django_user_model, "other-ngo", theirs)
    body = {"name": "Escenario ONG", "budget_pen": "20000.00", "draws": 5}
    with django_capture_on_commit_callbacks(execute=False):
        response = client_for(people["partner"]).post("/api/v1/plans/", body, format="json")
        assert response.status_code == 202, response.content
        mine = Plan.objects.get(pk=response.json()["plan"]["id"])
        assert mine.partner == ours and response.json()["plan"]["partner"] == ours.pk
        response = client_for(other).post("/api/v1/plans/", body, format="json")
        assert response.status_code == 202, response.content
        foreign = Plan.objects.get(pk=response.json()["plan"]["id"])
    staff = plan_compute(plan=plan_create(budget_pen=Decimal("20000"), draws=5, user=people["analyst"]))
    assert staff.partner is None

    client = client_for(people["partner"])
    listed = {p["id"] for p in client.get("/api/v1/plans/").json()["results"]}
    assert listed == {mine.pk, staff.pk}
    assert client.get(f"/api/v1/plans/{foreign.pk}/").status_code == 404
    assert client.get(f"/api/v1/plans/{staff.pk}/").status_code == 200
    analyst = {p["id"] for p in client_for(people["analyst"]).get("/api/v1/plans/").json()["results"]}
    assert analyst == {mine.pk, foreign.pk, staff.pk}
    # A Partners user linked to no organisation cannot own a scenario.
    nobody = make_partner_user(django_user_model, "no-org", None)
    response = client_for(nobody).post("/api/v1/plans/", body, format="json")
    assert response.status_code == 403 and response.json()["detail"] == str(MSG_NO_ORGANISATION)
    assert {p["id"] for p in client_for(nobody).get("/api/v1/plans/").json()["results"]} == {staff.pk}


def test_infeasible_constraints_are_a_400_naming_them(people, version):
    response = client_for(people["analyst"]).post("/api/v1/plans/", {
        "budget_pen": "20000.00", "draws": 5, "constraints": {"department": {"99": {"min_pen": 10}}}},
        format="json")
    assert response.status_code == 400, response.content
    assert list(response.json()["errors"]) == ["constraints"] and "99" in response.json()["errors"]["constraints"][0]
    response = client_for(people["analyst"]).post("/api/v1/plans/", {
        "budget_pen": "20000.00", "constraints": {"type_share": {"nope": {"max": 0.5}}}}, format="json")
    assert response.status_code == 400 and "nope" in response.json()["errors"]["constraints"][0]
    assert not Plan.objects.exists()


# --- task runs ------------------------------------------------------------------------

def test_tasks_show_status_and_log(people, version):
    client = client_for(people["analyst"])
    body = client.get("/api/v1/tasks/", {"kind": "train"}).json()
    assert body["count"] == 1
    run = body["results"][0]
    assert run["status"] == "succeeded" and run["model_version"] == version.pk and run["log"]
    assert client.get(f"/api/v1/tasks/{run['id']}/").json()["id"] == run["id"]
    assert client.get("/api/v1/tasks/", {"status": "failed"}).json()["count"] == 0
    assert client_for(people["partner"]).get("/api/v1/tasks/").status_code == 403


# --- imports --------------------------------------------------------------------------

def _csv(text, name="values.csv"):
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


def test_upload_a_long_table(people, version):
    district = Community.objects.filter(level="district").order_by("code").first()
    client = client_for(people["editor"])
    response = client.post("/api/v1/imports/", {
        "file": _csv(f"ubigeo,indicator,year,value\n{district.code},poverty_pct,2030,42.5\n"),
        "source": "diresa-api-test"}, format="multipart")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "succeeded" and body["rows_written"] == 1 and body["errors"] == []
    assert body["user"] == "editor" and body["source"] == "diresa-api-test"
    value = IndicatorValue.objects.get(community=district, indicator__code="poverty_pct", year=2030)
    assert value.value == 42.5 and value.source == "diresa-api-test" and value.import_batch_id == body["id"]
    assert client.get(f"/api/v1/imports/{body['id']}/").json() == body
    assert body["id"] in [b["id"] for b in client.get("/api/v1/imports/", {"status": "succeeded"}).json()["results"]]


def test_a_refused_file_is_400_with_its_errors_and_the_batch_is_recorded(people, version):
    district = Community.objects.filter(level="district").order_by("code").first()
    response = client_for(people["editor"]).post("/api/v1/imports/", {
        "file": _csv(f"ubigeo,indicator,year,value\n{district.code},poverty_pct,2030,142.5\n"),
        "source": "diresa-api-test"}, format="multipart")
    assert response.status_code == 400
    body = response.json()
    batch = ImportBatch.objects.get(pk=body["batch"]["id"])
    assert batch.status == "failed" and batch.rows_written == 0
    assert body["code"] == "import_refused" and body["detail"] == str(MSG_IMPORT_REFUSED % {"id": batch.pk})
    assert body["errors"] == {"file": [e["message"] for e in batch.errors]} and len(batch.errors) == 1
    assert "row 2" in batch.errors[0]["message"]
    assert not IndicatorValue.objects.filter(year=2030).exists()


def test_upload_form_errors_and_dry_run(people, version):
    client = client_for(people["editor"])
    response = client.post("/api/v1/imports/", {"file": _csv("a,b\n1,2\n")}, format="multipart")
    assert response.status_code == 400
    assert response.json()["errors"] == {"source": [str(MSG_SOURCE_NEEDED)]}
    response = client.post("/api/v1/imports/", {"source": "x-y"}, format="multipart")
    assert response.json()["errors"] == {"file": [str(forms.Field.default_error_messages["required"])]}
    district = Community.objects.filter(level="district").order_by("code").first()
    response = client.post("/api/v1/imports/", {
        "file": _csv(f"ubigeo,indicator,year,value\n{district.code},poverty_pct,2030,42.5\n"),
        "source": "diresa-api-test", "dry_run": "true"}, format="multipart")
    assert response.status_code == 201 and response.json()["status"] == "dry_run"
    assert not IndicatorValue.objects.filter(year=2030).exists()


def test_too_large_upload_is_413(people, version, monkeypatch):
    monkeypatch.setattr("interventions.importers.uploads.MAX_UPLOAD_BYTES", 1024 * 1024)
    before = ImportBatch.objects.count()
    response = client_for(people["editor"]).post("/api/v1/imports/", {
        "file": _csv("x" * (1024 * 1024 + 1)), "source": "big"}, format="multipart")
    assert response.status_code == 413
    assert response.json() == {"status": 413, "code": "too_large", "detail": str(MSG_TOO_LARGE % {"mb": 1})}
    assert ImportBatch.objects.count() == before


def test_uploading_needs_add_importbatch(people, version):
    for role, code in (("analyst", 403), ("partner", 403)):
        response = client_for(people[role]).post("/api/v1/imports/", {
            "file": _csv("ubigeo,indicator,year,value\n"), "source": "s"}, format="multipart")
        assert response.status_code == code
    assert client_for(people["partner"]).get("/api/v1/imports/").status_code == 403
    assert client_for(people["analyst"]).get("/api/v1/imports/").status_code == 200


# --- the permission matrix with a trained model ---------------------------------------

MATRIX = {  # endpoint -> action -> role -> status; anonymous is always 401
    "model-versions": {"list": 200, "retrieve": 200, "create": 405},
    "scores": {"list": 200, "retrieve": 200, "create": 405},
    "plans": {"list": 200, "retrieve": 200,
              "create": {"analyst": 202, "admin": 202, "editor": 403, "partner": 202}},
    "predictions": {"create": 200},
    "tasks": {"list": {"partner": 403}, "retrieve": {"partner": 403}, "create": 405},
}
DEFAULT_READ = 200


def _expected(endpoint, action, role):
    if role == "anonymous":
        return 401
    rule = MATRIX[endpoint][action]
    return rule if isinstance(rule, int) else rule.get(role, DEFAULT_READ)


@pytest.mark.parametrize("endpoint, action", [(e, a) for e, actions in MATRIX.items() for a in actions])
@pytest.mark.parametrize("role", ["anonymous", "partner", "editor", "analyst", "admin"])
def test_permission_matrix_with_a_model(people, version, role, endpoint, action, django_capture_on_commit_callbacks):
    from modeling.services.planning import plan_compute, plan_create

    plan = plan_compute(plan=plan_create(budget_pen=Decimal("20000"), draws=5))
    objects = {"model-versions": version.pk, "scores": CommunityScore.objects.filter(version=version).first().pk,
               "plans": plan.pk, "tasks": TaskRun.objects.filter(kind="train").first().pk}
    client = client_for(people.get(role))
    url = f"/api/v1/{endpoint}/"
    if action == "retrieve":
        response = client.get(f"{url}{objects[endpoint]}/")
    elif action == "list":
        response = client.get(url)
    else:
        body = {"plans": {"budget_pen": "1000.00", "draws": 5},
                "predictions": {"community": CommunityScore.objects.first().community.code}}.get(endpoint, {})
        with django_capture_on_commit_callbacks(execute=False):
            response = client.post(url, body, format="json")
    assert response.status_code == _expected(endpoint, action, role), response.content
    if response.status_code == 200 and action == "list":
        assert response.json()["count"] >= 1


# --- query counts ---------------------------------------------------------------------

MODELING_LISTS = [
    ("model-versions", {}), ("scores", {}), ("scores", {"format": "csv"}), ("scores", {"department": "01"}),
    ("plans", {}), ("tasks", {}),
]
MAX_QUERIES = 7  # as tests/test_api_queries.py: token, permissions, partner scope, count, page (+ prefetch)


@pytest.mark.parametrize("endpoint, params", MODELING_LISTS)
def test_modeling_list_queries_do_not_grow_with_page_size(people, version, endpoint, params):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from modeling.services.planning import plan_compute, plan_create

    for budget in ("10000", "20000"):
        plan_compute(plan=plan_create(budget_pen=Decimal(budget), draws=5))
    client = client_for(people["admin"])
    url = f"/api/v1/{endpoint}/"
    client.get(url, {"page_size": 1})
    counts = []
    for size in (1, 100):
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url, {**params, "page_size": size})
        assert response.status_code == 200, response.content
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1] <= MAX_QUERIES, counts
    if "format" not in params:
        assert len(response.json()["results"]) >= (1 if endpoint == "model-versions" else 2)


def test_fast_score_list_equals_the_serializer(people, version):
    from modeling.api.serializers import CommunityScoreSerializer

    body = client_for(people["analyst"]).get("/api/v1/scores/", {"page_size": 1000}).json()["results"]
    scores = CommunityScore.objects.filter(version=version).select_related("community", "version__target")
    expected = {s.pk: dict(CommunityScoreSerializer(s).data) for s in scores}
    assert len(body) == len(expected)
    for row in body:
        assert list(row) == list(expected[row["id"]]) and row == expected[row["id"]]


def test_two_plans_side_by_side(people, version, client):
    """GET /plans/compare/?a=&b= (and the admin page): totals, intervals, the share to the
    poorest fifth, allocations by department and type, lines only in one plan."""
    from django.urls import reverse

    from modeling.services.comparison import poorest_fifth
    from modeling.services.planning import plan_compute, plan_create

    a = plan_compute(plan=plan_create(budget_pen=Decimal("20000"), draws=0, equity_weight=0.0,
                                      curve_multiples=[0.5, 1, 2]))
    b = plan_compute(plan=plan_create(budget_pen=Decimal("60000"), draws=0, equity_weight=5.0))
    body = client_for(people["partner"]).get("/api/v1/plans/compare/", {"a": a.pk, "b": b.pk}).json()
    for side, plan in (("a", a), ("b", b)):
        lines = list(plan.items.select_related("community", "intervention_type"))
        assert Decimal(body[side]["spent_pen"]) == sum(i.cost_pen for i in lines) == plan.total_cost_pen
        assert body[side]["cases_averted_interval"] == [plan.cases_averted_lower, plan.cases_averted_upper]
        poorest = poorest_fifth(version.pk)
        share = sum(i.cost_pen for i in lines if i.community_id in poorest) / plan.total_cost_pen
        assert body[side]["share_to_poorest_fifth"] == pytest.approx(float(share), abs=1e-4)
        assert sum(Decimal(v) for v in body[side]["by_type"].values()) == plan.total_cost_pen
    keys = lambda p: {(i.community.code, i.intervention_type.code) for i in p.items.all()}  # noqa: E731
    assert {(x["community"], x["intervention_type"]) for x in body["only_in_a"]} == keys(a) - keys(b)
    assert {(x["community"], x["intervention_type"]) for x in body["only_in_b"]} == keys(b) - keys(a)
    assert body["in_both"] == len(keys(a) & keys(b))
    assert [r["key"] for r in body["by_department"]] == sorted(set(body["a"]["by_department"])
                                                              | set(body["b"]["by_department"]))
    # Bad or invisible ids: a 400 naming the parameter, a 404.
    response = client_for(people["analyst"]).get("/api/v1/plans/compare/", {"a": "x", "b": b.pk})
    assert response.status_code == 400 and list(response.json()["errors"]) == ["a"]
    assert client_for(people["analyst"]).get("/api/v1/plans/compare/", {"a": a.pk, "b": 10**9}).status_code == 404
    # The admin page and the budget curve chart.
    client.force_login(people["admin"])
    page = client.get(reverse("admin:modeling_plan_compare"), {"a": a.pk, "b": b.pk})
    assert page.status_code == 200 and 'id="plan-comparison"' in page.content.decode()
    response = client.post(reverse("admin:modeling_plan_changelist"),
                           {"action": "compare_two", "_selected_action": [a.pk, b.pk]})
    assert response.status_code == 302 and f"a={a.pk}&b={b.pk}" in response["Location"]
    page = client.get(reverse("admin:modeling_plan_change", args=[a.pk])).content.decode()
    assert page.count("<circle") == 3 and 'class="budget-curve"' in page


def test_a_version_that_does_not_beat_the_baselines_is_marked(people, version, client):
    """Honest activation: beats_baselines in the API; a warning on the version's admin page
    and on the front page when the Keras model is no better than a simple baseline."""
    from django.urls import reverse

    best_name, best = min(((m["wmae"], n) for n, m in version.baselines.items()))[::-1]
    for wmae, beats in ((best + 0.5, False), (best - 0.1, True)):
        ModelVersion.objects.filter(pk=version.pk).update(metrics={**version.metrics, "wmae": wmae})
        body = client_for(people["partner"]).get(f"/api/v1/model-versions/{version.pk}/").json()
        assert body["beats_baselines"] is beats
        client.force_login(people["analyst"])
        front = client.get(reverse("admin:index")).content.decode()
        page = client.get(reverse("admin:modeling_modelversion_change", args=[version.pk])).content.decode()
        from django.utils.html import escape

        from modeling.admin import worse_than_baseline

        warning = worse_than_baseline(ModelVersion.objects.get(pk=version.pk))
        assert (warning is None) is beats
        for html in (front, page):
            assert (warning is not None and escape(warning) in html) is (not beats)
        assert ('class="errornote modeling-worse"' in front) is (not beats)
