"""Train, score and plan on the small demo in django-q2's sync mode, through the same
services, task wrapper and admin actions users trigger."""
import json
from decimal import Decimal
from io import StringIO
from pathlib import Path

import numpy as np
import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.urls import reverse

from interventions.models import Community, InterventionType
from modeling import keras_model
from modeling.labels import method_label
from modeling.models import CommunityScore, ModelStatus, ModelVersion, Plan, PlanStatus, TaskKind, TaskRun, TaskStatus
from modeling.services import training
from modeling.services.evaluation import BASELINES
from modeling.services.planning import plan_compute, plan_create
from modeling.services.runs import run_enqueue
from tests.modeling_helpers import TINY_CONFIG, TRAIN_PARAMS, assert_reach_invariant

pytestmark = pytest.mark.django_db


def _train(capture):
    with capture(execute=True):
        run = run_enqueue(kind=TaskKind.TRAIN, params=TRAIN_PARAMS)
    run.refresh_from_db()
    return run


METRIC_KEYS = {"wmae", "rmse", "r2", "crps", "coverage50", "coverage80", "coverage95", "winkler80"}


def test_train_score_plan_through_the_task_runner(demo_small, django_capture_on_commit_callbacks, superuser, client):
    run = _train(django_capture_on_commit_callbacks)
    assert run.status == TaskStatus.SUCCEEDED, run.error
    assert run.started_at <= run.finished_at and run.attempts == 1
    assert any("fold 3/3" in line for line in run.log)
    version = run.model_version
    assert version.status == ModelStatus.ACTIVE and version.n_rows == 334
    # The target's loss (keras_model.TARGET_LOSS), since the run's config does not name one.
    assert "loss" not in TINY_CONFIG and version.hyperparameters["loss"] == "mse"
    assert set(version.metrics) == METRIC_KEYS
    assert set(version.baselines) == set(BASELINES)
    # Both CV designs are stored, every method on each, with the metrics per department.
    assert set(version.evaluation) == {"department", "province"}
    assert version.evaluation["department"]["metrics"]["keras"] == version.metrics
    for design in version.evaluation.values():
        assert set(design["metrics"]) == {"keras", *BASELINES}
        assert {k for d in design["per_department"].values() for k in d} >= {"n", "keras"}
        assert design["estimate_check"]["n"] > 0
    # The admin shows both designs' full tables and the per-department one.
    client.force_login(superuser)
    html = client.get(reverse("admin:modeling_modelversion_change", args=[version.pk])).content.decode()
    for design in ("department", "province"):
        keras = version.evaluation[design]["metrics"]["keras"]
        assert f"<td>{keras['crps']}</td>" in html and f"<td>{keras['winkler80']}</td>" in html
    for code in version.evaluation["department"]["per_department"]:
        assert f"<tr><td>{code}</td>" in html
    assert version.metrics["wmae"] < version.baselines["mean"]["wmae"]
    path = (Path(settings.MODEL_FILES_ROOT) / version.file_path).resolve()
    assert path.is_file() and path.suffix == ".keras"
    assert path.is_relative_to(Path(settings.MODEL_FILES_ROOT).resolve())

    # Score: every district, with intervals, components and LiST impacts.
    with django_capture_on_commit_callbacks(execute=True):
        score_run = run_enqueue(kind=TaskKind.SCORE, model_version=version)
    score_run.refresh_from_db()
    assert score_run.status == TaskStatus.SUCCEEDED, score_run.error
    scores = CommunityScore.objects.filter(version=version)
    assert scores.count() == Community.objects.filter(level="district").count()
    s = scores.get(community__code="010102")
    assert s.lower <= s.predicted <= s.upper and s.year == 2024
    components = s.burden_component + s.equity_component + s.cost_effectiveness_component
    assert s.priority == pytest.approx(100 * components / 3)
    stunting_types = set(
        InterventionType.objects.filter(indicator__code="stunting_u5_pct").values_list("code", flat=True)
    )
    assert set(s.interventions) == stunting_types | {"_combined"}
    water = InterventionType.objects.get(code="safe_water")
    info = s.interventions["safe_water"]
    # One year of water connections: the children 0–4 of the households reached.
    households = info["beneficiary_pool"]
    assert info["beneficiaries"] == pytest.approx((0.9 - info["coverage_now"]) * households, abs=0.1)
    assert info["children_reached"] == pytest.approx(info["beneficiaries"] / households * s.target_population,
                                                     abs=0.2)
    expected = water.effect_relative * s.estimate / 100 * info["children_reached"]
    assert min(s.predicted, s.observed if s.observed is not None else s.predicted) - 1e-9 <= s.estimate <= max(
        s.predicted, s.observed if s.observed is not None else s.predicted) + 1e-9
    assert info["cases_averted"] == pytest.approx(expected, abs=2e-3)
    assert info["cost_per_case_averted_pen"] == pytest.approx(info["cost_pen"] / info["cases_averted"], rel=1e-2)

    # Plan: within budget, traceable, deterministic.
    plan = plan_create(budget_pen=Decimal("300000"), region=Community.objects.get(code="02"), draws=50)
    with django_capture_on_commit_callbacks(execute=True):
        plan_run = run_enqueue(kind=TaskKind.PLAN, plan=plan)
    plan_run.refresh_from_db()
    assert plan_run.status == TaskStatus.SUCCEEDED, plan_run.error
    plan.refresh_from_db()
    items = list(plan.items.all())
    assert plan.status == PlanStatus.COMPUTED and items
    assert plan.total_cost_pen <= plan.budget_pen and sum(i.cost_pen for i in items) == plan.total_cost_pen
    # Only whole people are bought: at most one beneficiary's cost stays unspent.
    dearest = max(InterventionType.objects.values_list("cost_per_beneficiary_pen", flat=True))
    assert plan.total_cost_pen > plan.budget_pen - dearest
    assert all(i.community.code.startswith("02") for i in items)
    assert all(i.cost_pen >= 0 and i.beneficiaries >= 0 and 0 <= i.selection_probability <= 1 for i in items)
    assert all(i.cases_averted_lower <= i.cases_averted <= i.cases_averted_upper for i in items)
    assert_reach_invariant(plan)
    assert plan.model_version == version and plan.fingerprint == version.fingerprint
    assert {c["code"] for c in plan.catalogue} == stunting_types
    first = [(i.community_id, i.intervention_type_id, i.cost_pen, i.selection_probability) for i in items]
    plan_compute(plan=plan)
    assert [(i.community_id, i.intervention_type_id, i.cost_pen, i.selection_probability)
            for i in plan.items.all()] == first
    bigger = plan_compute(plan=plan_create(budget_pen=Decimal("600000"), region=plan.region, draws=0))
    assert bigger.objective >= plan.objective and bigger.total_cases_averted >= plan.total_cases_averted
    check_constraints_and_curve(plan)
    check_partner_deliveries_count(plan)

    # The admin shows it all.
    client.force_login(superuser)
    page = client.get(reverse("admin:index")).content.decode()
    assert 'id="modeling-overview"' in page and f"v{version.pk}" in page
    assert str(method_label("gradient_boosting")) in page  # methods by their label (modeling/labels.py)
    assert 'id="latest-plan"' in page
    page = client.get(reverse("admin:modeling_modelversion_change", args=[version.pk])).content.decode()
    assert str(method_label("random_forest")) in page and str(version.metrics["wmae"]) in page
    for name in ("modelversion", "taskrun", "communityscore", "plan"):
        assert client.get(reverse(f"admin:modeling_{name}_changelist")).status_code == 200
    assert client.get(reverse("admin:modeling_plan_change", args=[plan.pk])).status_code == 200

    # A training that raises leaves the active version and its scores untouched.
    n_scores = scores.count()

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    original = keras_model.save_model
    keras_model.save_model = broken
    try:
        failed = _train(django_capture_on_commit_callbacks)
    finally:
        keras_model.save_model = original
    assert failed.status == TaskStatus.FAILED
    assert failed.error.startswith("RuntimeError: disk full")
    assert failed.log[-1].endswith("failed: RuntimeError: disk full")
    assert ModelVersion.objects.get(status=ModelStatus.ACTIVE) == version
    assert ModelVersion.objects.count() == 1
    assert CommunityScore.objects.filter(version=version).count() == n_scores


def test_registry_rule_and_manual_promotion(demo_small, analyst, django_capture_on_commit_callbacks, client):
    first = _train(django_capture_on_commit_callbacks).model_version
    assert first.status == ModelStatus.ACTIVE
    worse = {k: (v * 2 if k == "wmae" else v) for k, v in first.metrics.items()}
    better = {k: (v / 2 if k == "wmae" else v) for k, v in first.metrics.items()}
    common = dict(indicator=first.target, level="district", target_year=2022, features=first.features,
                  fingerprint=first.fingerprint, n_rows=1, hyper=first.hyperparameters, baselines={},
                  evaluation={}, seconds=1.0,
                  relative=first.file_path, user=None, log=lambda line: None)
    candidate = training._register(metrics=worse, **common)
    assert candidate.status == ModelStatus.CANDIDATE
    first.refresh_from_db()
    assert first.status == ModelStatus.ACTIVE
    winner = training._register(metrics=better, **common)
    first.refresh_from_db()
    assert winner.status == ModelStatus.ACTIVE and first.status == ModelStatus.RETIRED

    # An Analyst promotes the candidate by hand, through the admin action; it is recorded.
    assert analyst.has_perm("modeling.run_models")
    client.force_login(analyst)
    response = client.post(reverse("admin:modeling_modelversion_changelist"),
                           {"action": "promote", "_selected_action": [candidate.pk]})
    assert response.status_code == 302
    candidate.refresh_from_db()
    winner.refresh_from_db()
    assert candidate.status == ModelStatus.ACTIVE and candidate.promoted_by == analyst
    assert candidate.promoted_at is not None and winner.status == ModelStatus.RETIRED
    with pytest.raises(ValueError) as err:
        training.model_version_promote(version=candidate)
    assert str(err.value) == str(training.MSG_ALREADY_ACTIVE % {"id": candidate.pk})

    # "Score with this version" queues a run (executed inline in sync mode).
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("admin:modeling_modelversion_changelist"),
                    {"action": "score_with_version", "_selected_action": [candidate.pk]})
    run = TaskRun.objects.get(kind=TaskKind.SCORE)
    assert run.status == TaskStatus.SUCCEEDED and run.user == analyst, run.error


def test_train_model_command_json_shape(demo_small, monkeypatch):
    monkeypatch.setattr(keras_model, "FAST_CONFIG", keras_model.TrainConfig.from_dict(TINY_CONFIG))
    out, err = StringIO(), StringIO()
    call_command("train_model", "--target", "stunting_u5_pct", "--level", "district", "--year", "2022",
                 "--fast", "--folds", "3", "--json", stdout=out, stderr=err)
    lines = err.getvalue().strip().splitlines()  # the table goes to stderr …
    header = lines.index(next(line for line in lines if line.startswith("department-grouped") and "fold CV" in line))
    assert lines[header + 1].split() == ["method", "wMAE", "RMSE", "R²", "CRPS", "cov50", "cov80", "cov95",
                                         "Winkler"]
    assert [line.split()[0] for line in lines[header + 2:header + 8]] == ["keras", *BASELINES]
    assert any(line.startswith("province-grouped") for line in lines)
    assert any("fold 1/3" in line for line in lines)  # progress goes to stderr too
    data = json.loads(out.getvalue())  # … and stdout is one JSON document
    assert set(data) == {"version", "status", "n_rows", "training_seconds", "beats_baselines", "best_baseline",
                         "inputs", "metrics", "province_grouped", "estimate_check"}
    assert data["n_rows"] == ModelVersion.objects.get(pk=data["version"]).n_rows
    assert data["status"] == "active" and ModelVersion.objects.get(pk=data["version"])
    assert list(data["metrics"]) == [
        "keras", "mean", "ridge_poverty", "ridge_all", "gradient_boosting", "random_forest",
    ]
    for table in (data["metrics"], data["province_grouped"]):
        assert list(table) == ["keras", *BASELINES]
        for metrics in table.values():
            assert set(metrics) == METRIC_KEYS and all(isinstance(v, float) for v in metrics.values())

    out = StringIO()
    call_command("score_communities", stdout=out)
    assert "scored 334 communities" in out.getvalue()
    out = StringIO()
    call_command("make_plan", "--budget", "250000", "--region", "03", "--draws", "20", "--json", stdout=out)
    plan = json.loads(out.getvalue())  # stdout is one JSON document, the summary went to stderr
    assert Decimal(plan["total_cost_pen"]) <= Decimal("250000")
    assert plan["model_version"] == data["version"] and all(i["community"].startswith("03") for i in plan["items"])
    assert Plan.objects.get(pk=plan["plan"]).status == PlanStatus.COMPUTED
    assert plan["curve"] == [] and {"coverage_before", "coverage_after", "already_covered_by",
                                    "selection_probability"} <= set(plan["items"][0])
    out = StringIO()
    call_command("make_plan", "--budget", "250000", "--region", "03", "--draws", "0", "--budget-curve", "1,0.5,2",
                 "--json", stdout=out)
    curve = json.loads(out.getvalue())["curve"]
    assert [p["multiple"] for p in curve] == [0.5, 1.0, 2.0]
    assert [p["cases_averted"] for p in curve] == sorted(p["cases_averted"] for p in curve)
    with pytest.raises(CommandError, match="--constraints: .*99"):
        call_command("make_plan", "--budget", "250000", "--constraints", '{"department": {"99": {"min_pen": 1}}}')
    with pytest.raises(CommandError, match="--budget-curve"):
        call_command("make_plan", "--budget", "250000", "--budget-curve", "0,x")


def test_reproducible_with_a_fixed_seed(demo_small):
    from modeling.features import build_frame

    ff = build_frame(target="stunting_u5_pct", target_year=2022)
    d = ff.labelled
    args = (d[ff.numeric].to_numpy(), d["department"].to_numpy(), d["target"].to_numpy(), d["weight"].to_numpy(),
            np.ones(len(d)))
    config = keras_model.TrainConfig.from_dict(TINY_CONFIG)
    a = keras_model.fit_ensemble(*args, config=config)
    b = keras_model.fit_ensemble(*args, config=config)
    pa = keras_model.predict_members(a.model, args[0], args[1])
    pb = keras_model.predict_members(b.model, args[0], args[1])
    assert np.array_equal(pa, pb) and a.tau == b.tau
    c = keras_model.fit_ensemble(*args, config=keras_model.TrainConfig.from_dict({**TINY_CONFIG, "seed": 12}))
    assert not np.array_equal(pa, keras_model.predict_members(c.model, args[0], args[1]))


def test_model_cache_refuses_files_the_platform_did_not_write(tmp_path):
    with pytest.raises(ValueError) as err:
        keras_model.load_cached(999, "../../etc/evil.keras")
    assert "model files are only read from" in str(err.value)
    with pytest.raises(ValueError) as err:
        keras_model.load_cached(999, "model.h5")
    assert "only .keras files" in str(err.value)
    with pytest.raises(FileNotFoundError):
        keras_model.load_cached(999, "missing.keras")


def test_queue_models_runs_train_score_plan_in_order(demo_small, monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr(keras_model, "FAST_CONFIG", keras_model.TrainConfig.from_dict(TINY_CONFIG))
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("queue_models", "--year", "2022", "--budget", "150000", "--fast", stdout=out)
    assert out.getvalue().startswith("Queued run ")
    runs = list(TaskRun.objects.order_by("id"))
    assert [r.kind for r in runs] == [TaskKind.TRAIN, TaskKind.SCORE, TaskKind.PLAN]
    assert all(r.status == TaskStatus.SUCCEEDED for r in runs), [r.error for r in runs]
    plan = runs[2].plan
    assert plan.status == PlanStatus.COMPUTED and plan.model_version == runs[0].model_version
    assert plan.total_cost_pen <= Decimal("150000") and plan.items.exists()


def test_an_unknown_training_loss_is_refused_before_training():
    config = keras_model.TrainConfig.from_dict({**TINY_CONFIG, "loss": "mae"})
    with pytest.raises(ValueError) as error:
        keras_model.fit_ensemble(np.zeros((3, 1)), ["01"] * 3, np.zeros(3), np.ones(3), np.zeros(3), config=config)
    assert str(error.value) == "Unknown training loss “mae”: use “mse” or “huber”."


def check_constraints_and_curve(plan):
    """The constraints a planner sets, on the trained demo: kept by the LP, refused with the
    conflicting one named when they cannot be met; the budget curve with them."""
    from modeling.services.planning import ConstraintError

    district = plan.items.order_by("rank").first().community.code
    constraints = {
        "type_share": {"growth_monitoring_counselling": {"max": 0.2}},
        "community_cap_pen": 20000,
        "commitments": [{"community": district, "intervention_type": "maternal_nutrition_counselling",
                         "beneficiaries": 5}],
    }
    constrained = plan_compute(plan=plan_create(budget_pen=Decimal("300000"), region=plan.region, draws=0,
                                                constraints=constraints, curve_multiples=[0.5, 1, 2], check=True))
    lines = list(constrained.items.select_related("intervention_type", "community"))
    budget = constrained.budget_pen
    assert constrained.total_cost_pen <= budget
    assert sum(i.cost_pen for i in lines if i.intervention_type.code == "growth_monitoring_counselling") <= \
        Decimal("0.2") * budget + Decimal("0.01")
    per_community = {}
    for line in lines:
        per_community[line.community.code] = per_community.get(line.community.code, 0) + line.cost_pen
    assert max(per_community.values()) <= Decimal("20000.01")
    (kept,) = [i for i in lines if i.community.code == district
               and i.intervention_type.code == "maternal_nutrition_counselling"]
    assert kept.beneficiaries >= 5
    assert_reach_invariant(constrained)
    assert constrained.constraints == constraints_as_stored(constraints)
    assert [point["multiple"] for point in constrained.curve] == [0.5, 1, 2]
    weighted = [point["equity_weighted"] for point in constrained.curve]
    cases = [point["cases_averted"] for point in constrained.curve]
    assert weighted == sorted(weighted) and all(p["feasible"] for p in constrained.curve)
    assert (weighted[1] - weighted[0]) / 150000 >= (weighted[2] - weighted[1]) / 300000 - 1e-9  # concave
    assert cases[0] <= cases[2]
    # Each draw of a constrained plan is an LP: at most 40 of them, and the log says so.
    lines = []
    capped = plan_compute(plan=plan_create(budget_pen=Decimal("300000"), region=plan.region, draws=60,
                                           constraints={"community_cap_pen": 20000}), log=lines.append)
    assert any("from 40 resampled predictions (not 60)" in line for line in lines), lines
    assert all(0 <= i.selection_probability <= 1 for i in capped.items.all())
    # A minimum that cannot be bought (a department outside the plan's region): refused now,
    # naming it.
    with pytest.raises(ConstraintError) as err:
        plan_create(budget_pen=Decimal("300000"), region=plan.region, draws=0, check=True,
                    constraints={"department": {"15": {"min_pen": 1000}}})
    assert "15" in str(err.value) and err.value.field == "constraints"


def constraints_as_stored(constraints):
    return {
        "type_share": {code: {"min": 0.0, "max": b["max"]} for code, b in constraints["type_share"].items()},
        "community_cap_pen": float(constraints["community_cap_pen"]),
        "commitments": constraints["commitments"],
    }


def check_partner_deliveries_count(plan):
    """Partners' planned and active interventions add to today's coverage: a delivery that
    covers a line's community removes the line from the next plan; one that covers part of
    it shows on the line, with the partner; two partners on one need are an overlap."""
    import datetime

    from interventions.models import Intervention, Partner
    from interventions.selectors import intervention_overlaps

    top = plan.items.order_by("rank").select_related("community", "intervention_type").first()
    score = CommunityScore.objects.get(version=plan.model_version, community=top.community)
    pool = score.interventions[top.intervention_type.code]["beneficiary_pool"]
    first, second = Partner.objects.order_by("pk")[:2]
    start = datetime.date(score.year, 1, 1)
    Intervention.objects.filter(community=top.community, intervention_type=top.intervention_type).delete()
    part = Intervention.objects.create(community=top.community, intervention_type=top.intervention_type,
                                       partner=first, status="active", start_date=start, budget_pen=1000,
                                       beneficiaries=int(pool * 0.3))
    again = plan_compute(plan=plan_create(budget_pen=plan.budget_pen, region=plan.region, draws=0))
    line = again.items.get(community=top.community, intervention_type=top.intervention_type)
    assert line.coverage_before == pytest.approx(top.coverage_before + int(pool * 0.3) / pool, abs=1e-3)
    assert line.already_covered_by == [{"partner": first.acronym or first.name, "status": "active",
                                        "beneficiaries": int(pool * 0.3), "intervention": part.pk}]
    # A second partner plans the rest: the need is covered (and the two overlap).
    rest = Intervention.objects.create(community=top.community, intervention_type=top.intervention_type,
                                       partner=second, status="planned", start_date=start, budget_pen=1000,
                                       end_date=datetime.date(score.year, 12, 31), beneficiaries=int(pool))
    assert set(intervention_overlaps().values_list("pk", flat=True)) >= {part.pk, rest.pk}
    covered = plan_compute(plan=plan_create(budget_pen=plan.budget_pen, region=plan.region, draws=0))
    assert not covered.items.filter(community=top.community, intervention_type=top.intervention_type).exists()
    # Cancelled or finished work does not count.
    Intervention.objects.filter(pk__in=[part.pk, rest.pk]).update(status="cancelled")
    assert not intervention_overlaps().filter(pk__in=[part.pk, rest.pk]).exists()
    back = plan_compute(plan=plan_create(budget_pen=plan.budget_pen, region=plan.region, draws=0))
    assert back.items.filter(community=top.community, intervention_type=top.intervention_type).exists()
