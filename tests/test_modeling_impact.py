"""Impact counted on the cohort reached: one district worked by hand for each target group
(the same district as docs/modeling.md), through the scoring arithmetic."""
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from interventions.choices import TargetGroup
from modeling.services.impact import cases_averted, children_per_beneficiary
from modeling.services.scoring import compute_scores

# 10,000 people, 850 children 0–4, stunting 20% (80%: 15–25), anaemia 40%.
DISTRICT = pd.DataFrame({"population": [10000.0], "population_0_4": [850.0], "poverty_pct": [50.0]}, index=["X"])


def _type(code, group, effect, cost="100.00"):
    return SimpleNamespace(code=code, target_group=group, effect_relative=effect, cost_per_beneficiary_pen=cost,
                           coverage_indicator=None, default_coverage=None)


def _scores(types, indicator, predicted):
    return compute_scores(DISTRICT, np.array([predicted]), np.array([predicted - 5]), np.array([predicted + 5]),
                          types, indicator=indicator, max_coverage=0.9).iloc[0]["interventions"]


@pytest.mark.parametrize("group, effect, pool, children, cases", [
    # children 0–4: 850 × 0.9 = 765 reached, all of them counted by "under five".
    (TargetGroup.CHILDREN_U5, 0.08, 850.0, 765.0, 0.08 * 0.20 * 765),
    # 6–35 months: half the under-fives (425) × 0.9 = 382.5, each inside "under five".
    (TargetGroup.CHILDREN_6_35M, 0.12, 425.0, 382.5, 0.12 * 0.20 * 382.5),
    # pregnant women: a year of births, 850 / 5 = 170 × 0.9 = 153 children (not 765).
    (TargetGroup.PREGNANT_WOMEN, 0.05, 170.0, 153.0, 0.05 * 0.20 * 153),
    # households: 10,000 / 3.5 = 2,857.1; their 850 children × 0.9 = 765.
    (TargetGroup.HOUSEHOLDS, 0.04, 10000 / 3.5, 765.0, 0.04 * 0.20 * 765),
    # the whole population: 10,000 × 0.9 = 9,000 people, among them 765 children 0–4.
    (TargetGroup.POPULATION, 0.04, 10000.0, 765.0, 0.04 * 0.20 * 765),
])
def test_stunting_counts_the_children_reached(group, effect, pool, children, cases):
    info = _scores([_type("t", group, effect)], "stunting_u5_pct", 20.0)["t"]
    assert info["beneficiary_pool"] == pytest.approx(pool, abs=0.1)
    assert info["beneficiaries"] == pytest.approx(0.9 * pool, abs=0.1)
    assert info["children_reached"] == pytest.approx(children, abs=0.1)
    assert info["cases_averted"] == pytest.approx(cases, abs=1e-3)
    # The reach invariant: never more than effect × the upper prevalence × children reached.
    assert info["cases_averted"] <= effect * 0.25 * info["children_reached"]


@pytest.mark.parametrize("group, children", [
    # anaemia counts 6–35 months: 425 children. An under-five reached is in the band 30/60.
    (TargetGroup.CHILDREN_U5, 765.0 * 0.5),
    (TargetGroup.CHILDREN_6_35M, 382.5),
    # births are 0–12 months in the year of delivery: half of that year is inside 6–35 months.
    (TargetGroup.PREGNANT_WOMEN, 153.0 * 0.5),
    (TargetGroup.HOUSEHOLDS, 425.0 * 0.9),
])
def test_anaemia_counts_its_age_band(group, children):
    info = _scores([_type("t", group, 0.3)], "anaemia_6_35m_pct", 40.0)["t"]
    assert info["children_reached"] == pytest.approx(children, abs=0.1)
    assert info["cases_averted"] == pytest.approx(0.3 * 0.40 * children, abs=1e-3)


def test_the_combined_reduction_is_over_the_outcomes_cases():
    types = [_type("a", TargetGroup.CHILDREN_U5, 0.08), _type("b", TargetGroup.PREGNANT_WOMEN, 0.05)]
    row = compute_scores(DISTRICT, np.array([20.0]), np.array([15.0]), np.array([25.0]), types,
                         indicator="stunting_u5_pct", max_coverage=0.9).iloc[0]
    cases = 0.20 * 850
    a, b = row["interventions"]["a"]["cases_averted"] / cases, row["interventions"]["b"]["cases_averted"] / cases
    assert row["cases_averted_all"] == pytest.approx(cases * (1 - (1 - a) * (1 - b)), abs=1e-3)


def test_helpers():
    assert cases_averted(0.1, 1.0, 0.2, 500) == pytest.approx(10.0)
    assert list(children_per_beneficiary(TargetGroup.HOUSEHOLDS, "stunting_u5_pct", [200.0, 0.0], [50.0, 3.0])) == [
        0.25, 0.0]


def test_todays_coverage_comes_from_its_indicator_or_the_catalogue_never_silently():
    from modeling.services.impact import current_coverage

    frame = pd.DataFrame({"water_public_network_pct": [40.0, np.nan, 95.0]})
    water = SimpleNamespace(coverage_indicator=SimpleNamespace(code="water_public_network_pct"), default_coverage=0.3)
    coverage, source = current_coverage(frame, water, 0.9)
    assert list(coverage) == pytest.approx([0.4, 0.3, 0.9])
    assert source == ["indicator:water_public_network_pct", "default", "indicator:water_public_network_pct"]
    unknown = SimpleNamespace(coverage_indicator=None, default_coverage=None)
    coverage, source = current_coverage(frame, unknown, 0.9)
    assert list(coverage) == [0.0, 0.0, 0.0] and source == ["none"] * 3


@settings(max_examples=200, deadline=None)
@given(st.floats(1, 60), st.floats(0.5, 10), st.floats(0, 100), st.integers(1, 5000), st.integers(1, 5000))
def test_the_small_area_estimate_combines_by_precision(model, half, measured, n_small, n_large):
    """Between the model and the measurement; nearer the measurement the larger its sample;
    the model alone where nothing was measured; its interval never wider than the model's."""
    from modeling.keras_model import Z80
    from modeling.services.impact import small_area_estimate

    small, large = sorted((n_small, n_large))
    m, lo, hi = np.array([model] * 3), np.array([model - half] * 3), np.array([model + half] * 3)
    est, est_lo, est_hi, w = small_area_estimate(m, lo, hi, np.array([measured, measured, np.nan]),
                                                 np.array([small, large, 500]), Z80)
    assert min(model, measured) - 1e-9 <= est[0] <= max(model, measured) + 1e-9
    assert min(model, measured) - 1e-9 <= est[1] <= max(model, measured) + 1e-9
    assert 0 <= w[0] <= w[1] <= 1
    assert abs(est[1] - measured) <= abs(est[0] - measured) + 1e-9
    assert est[2] == model and w[2] == 0 and est_lo[2] == pytest.approx(max(model - half, 0))
    assert est_hi[0] - est_lo[0] <= 2 * half + 1e-9


def test_a_large_survey_outweighs_the_model():
    from modeling.keras_model import Z80
    from modeling.services.impact import small_area_estimate

    # Model 30% ± 6.4 (80%), 2,000 children measured at 20%: the estimate is close to 20%.
    est, lo, hi, w = small_area_estimate(np.array([30.0]), np.array([23.6]), np.array([36.4]), np.array([20.0]),
                                         np.array([2000.0]), Z80)
    prior, direct = (6.4 / Z80) ** 2, 20 * 80 / 2000
    assert w[0] == pytest.approx(prior / (prior + direct))
    assert est[0] == pytest.approx(w[0] * 20 + (1 - w[0]) * 30) and est[0] < 21
    assert hi[0] - lo[0] == pytest.approx(2 * Z80 * np.sqrt(prior * direct / (prior + direct)))
