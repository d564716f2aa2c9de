"""The Keras model on the real Peruvian data: SIEN 2022 district stunting (and anaemia)
from 2017–2018 features (poverty map, census shares, altitude, population), districts
with at least 30 children evaluated, department-grouped CV against the baselines."""
import importlib.util

import pytest
from django.core.management import call_command

from modeling.models import ModelVersion
from modeling.services.evaluation import BASELINES
from modeling.services.runs import run_now

pytestmark = [pytest.mark.realdata, pytest.mark.slow, pytest.mark.django_db]

if importlib.util.find_spec("interventions.importers") is None:
    pytest.skip(
        "interventions.importers (the real-data importers of issue 3) is not installed in this branch: "
        "the real-data modeling test runs after the merge",
        allow_module_level=True,
    )

FEATURES = [
    "poverty_pct", "water_public_network_pct", "sewer_public_network_pct", "electricity_pct",
    "firewood_cooking_pct", "sis_affiliation_pct", "urban_pct",
]


@pytest.fixture
def peru(real_data_dir):
    call_command("load_peru_data", str(real_data_dir))
    return real_data_dir


def _train(target):
    run = run_now(kind="train", params={
        "target": target, "level": "district", "year": 2022, "features": FEATURES,
        "feature_years": [2017, 2018], "min_sample_size": 30,
    })
    assert run.status == "succeeded", run.error
    version = run.model_version
    print(f"\n{target}: {version.n_rows} districts, {version.training_seconds} s")
    for name, m in [("keras", version.metrics), *version.baselines.items()]:
        print(f"  {name:<18} wMAE {m['wmae']:.3f}  RMSE {m['rmse']:.3f}  R² {m['r2']:.3f}  cov80 {m['coverage80']:.3f}")
    return version


def test_stunting_2022_keras_beats_the_baselines(peru):
    version = _train("stunting_u5_pct")
    assert version.n_rows >= 1500
    keras = version.metrics["wmae"]
    assert keras <= 0.6 * version.baselines["mean"]["wmae"]
    assert keras <= 1.05 * version.baselines["gradient_boosting"]["wmae"]
    assert set(version.baselines) == set(BASELINES)
    # The plan on the real data (the same trained version, scored): every line within the
    # reach invariant, no line without beneficiaries, within the budget.
    run = run_now(kind="score", model_version=version)
    assert run.status == "succeeded", run.error
    from modeling.services.planning import plan_compute, plan_create
    from tests.modeling_helpers import assert_reach_invariant

    plan = plan_compute(plan=plan_create(budget_pen=5_000_000, draws=20))
    lines = assert_reach_invariant(plan)
    print(f"  plan of 5,000,000 PEN: {lines} lines, {plan.total_cases_averted:.1f} cases averted "
          f"(80%: {plan.cases_averted_lower:.1f}–{plan.cases_averted_upper:.1f})")
    assert plan.total_cost_pen <= plan.budget_pen and lines > 50


def test_anaemia_2022_is_reported(peru):
    version = _train("anaemia_6_35m_pct")
    assert ModelVersion.objects.filter(pk=version.pk).exists()
    # Harder: the test only requires an honest improvement on the weighted mean.
    assert version.metrics["wmae"] < version.baselines["mean"]["wmae"]
