"""How many cases an intervention averts, counted on the children it reaches.

The unit of a plan: **one year of delivery**. Cases averted are counted among the children
the outcome indicator counts (its age band) whom that year's delivery reaches:

- children 0–4 or 6–35 months: the children reached, times the share of their age band
  inside the outcome's band (a 6–35-month child is inside "under five"; an under-five
  child is inside "6–35 months" 30 times in 60);
- pregnant women: one birth each, in its first year of life (0–12 months) — all of it
  inside "under five", half of it inside "6–35 months";
- households and the whole population: the children of the outcome's band that live in
  the households or among the people reached (the community's own ratio).

For a coverage gain ``Δc`` over a pool of ``N`` possible beneficiaries, ``k`` outcome
children per beneficiary and an outcome prevalence ``p``::

    children reached = Δc × N × k
    cases averted    = affected_fraction × effect × p × children reached

so a line never claims more than ``effect × p × children reached`` (the reach invariant;
the plan checks it against the upper bound of the predicted prevalence). This is LiST's
coverage formula without its ``1 / (1 − effect × c0)`` factor, which would credit the
newly reached with a prevalence above the community's predicted one: the conservative
choice, since the estimate is the predicted prevalence itself.

Several interventions acting on one indicator combine multiplicatively:
``1 − Π(1 − reduction_i)``, each reduction being its cases averted over the outcome's
cases. Affected fractions and the size of each target group are kept here, on the
modeling side, so the catalogue stays as staff edit it.
"""
import numpy as np
import pandas as pd

from interventions.choices import TargetGroup

__all__ = [
    "AFFECTED_FRACTION",
    "AGE_BAND_MONTHS",
    "HOUSEHOLD_SIZE",
    "OUTCOME_BAND_MONTHS",
    "beneficiary_pool",
    "cases_averted",
    "children_per_beneficiary",
    "combined_reduction",
    "small_area_estimate",
    "current_coverage",
    "target_population",
]

# Share of the outcome that the intervention's mechanism can act on (LiST's affected
# fraction); 1.0 when the catalogue's effect is already measured on the whole outcome.
AFFECTED_FRACTION: dict[str, float] = {}
HOUSEHOLD_SIZE = 3.5  # persons per household, Censo 2017 (INEI)
UNDER5_SHARE = 0.085  # children 0–4 per person where population_0_4 is unknown
UNDER5_MONTHS = (0, 60)
# The age band, in months, each outcome indicator counts.
OUTCOME_BAND_MONTHS = {
    "stunting_u5_pct": (0, 60),
    "anaemia_6_35m_pct": (6, 36),
    "diarrhoea_u5_pct": (0, 60),
}
# The age band of the children each child target group reaches; pregnant women's births
# are counted in their first year of life.
AGE_BAND_MONTHS = {
    TargetGroup.CHILDREN_U5: (0, 60),
    TargetGroup.CHILDREN_6_35M: (6, 36),
    TargetGroup.PREGNANT_WOMEN: (0, 12),
}
BIRTHS_PER_PREGNANT_WOMAN = 1.0


def _overlap(band, outcome) -> float:
    """Share of ``band`` that lies inside ``outcome`` (both in months)."""
    inside = max(0, min(band[1], outcome[1]) - max(band[0], outcome[0]))
    return inside / (band[1] - band[0])


def _outcome_band(indicator: str):
    return OUTCOME_BAND_MONTHS.get(indicator, UNDER5_MONTHS)


def cases_averted(effect, affected_fraction, prevalence, children_reached):
    """Cases averted among the children reached (``prevalence`` as a share)."""
    return (np.asarray(affected_fraction, dtype=float) * np.asarray(effect, dtype=float)
            * np.asarray(prevalence, dtype=float) * np.asarray(children_reached, dtype=float))


def combined_reduction(reductions):
    """Several interventions on one outcome combine multiplicatively."""
    reductions = np.asarray(reductions, dtype=float)
    return 1.0 - np.prod(1.0 - reductions, axis=-1)


def _children(frame: pd.DataFrame) -> pd.Series:
    under5 = frame["population_0_4"] if "population_0_4" in frame else pd.Series(np.nan, index=frame.index)
    return under5.fillna(frame["population"].fillna(0) * UNDER5_SHARE).fillna(0)


def target_population(frame: pd.DataFrame, indicator: str) -> pd.Series:
    """Children the indicator counts in each community (its age band of the children 0–4)."""
    return _children(frame) * _overlap(UNDER5_MONTHS, _outcome_band(indicator))


def beneficiary_pool(frame: pd.DataFrame, target_group: str) -> pd.Series:
    """How many beneficiaries full coverage means in each community."""
    children = _children(frame)
    population = frame["population"].fillna(children / UNDER5_SHARE)
    return {
        TargetGroup.CHILDREN_U5: children,
        TargetGroup.CHILDREN_6_35M: children * 0.5,
        TargetGroup.PREGNANT_WOMEN: children / 5.0,  # about one year of births
        TargetGroup.HOUSEHOLDS: population / HOUSEHOLD_SIZE,
        TargetGroup.POPULATION: population,
    }.get(target_group, children).fillna(0)


def children_per_beneficiary(target_group: str, indicator: str, pool, outcome_population):
    """Outcome children reached per beneficiary: a constant for the groups of children and
    pregnant women, the community's own ratio for households and the whole population
    (``pool`` and ``outcome_population`` are per community)."""
    pool = np.asarray(pool, dtype=float)
    band = AGE_BAND_MONTHS.get(target_group)
    if band is not None:
        per = _overlap(band, _outcome_band(indicator))
        if target_group == TargetGroup.PREGNANT_WOMEN:
            per *= BIRTHS_PER_PREGNANT_WOMAN
        return np.full(pool.shape, per)
    outcome_population = np.asarray(outcome_population, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(pool > 0, outcome_population / pool, 0.0)


def current_coverage(frame: pd.DataFrame, itype, max_coverage: float) -> tuple[np.ndarray, list[str]]:
    """Today's coverage of ``itype`` in each community, and where it comes from: its coverage
    indicator's value (``indicator:<code>``), else the catalogue's default (``default``),
    else unknown (``none``, counted as 0 — never silently: the source says so)."""
    n = len(frame)
    coverage = np.full(n, np.nan)
    source = np.full(n, "none", dtype=object)
    indicator = getattr(itype, "coverage_indicator", None)
    if indicator is not None and indicator.code in frame:
        measured = frame[indicator.code].to_numpy(dtype=float) / 100.0
        has = ~np.isnan(measured)
        coverage[has] = measured[has]
        source[has] = f"indicator:{indicator.code}"
    default = getattr(itype, "default_coverage", None)
    if default is not None:
        missing = np.isnan(coverage)
        coverage[missing] = default
        source[missing] = "default"
    coverage = np.clip(np.nan_to_num(coverage, nan=0.0), 0.0, max_coverage)
    return coverage, source.tolist()


def small_area_estimate(predicted, lower, upper, observed, sample_size, z):
    """Fay–Herriot: each district's direct measurement and the model's prediction combined
    by precision (docs/modeling.md, "Small-area estimates").

    The model's prior variance is its 80% half-width over ``z`` squared (the ensemble's
    spread plus the between-district variance τ² estimated in training); the
    measurement's is binomial, ``y(100 − y) / n``. ``w = P / (P + D)``; the estimate is
    ``w·y + (1 − w)·m`` with variance ``P·D / (P + D)``. No measurement: the model alone."""
    m = np.asarray(predicted, dtype=float)
    prior = ((np.asarray(upper, dtype=float) - np.asarray(lower, dtype=float)) / (2 * z)) ** 2
    y = np.asarray(observed, dtype=float)
    n = np.asarray(sample_size, dtype=float)
    measured = ~np.isnan(y) & ~np.isnan(n) & (n > 0)
    y_safe = np.where(measured, np.clip(y, 0, 100), 0.0)
    # A measured 0% or 100% still carries sampling error: at least half a case.
    p = np.clip(y_safe, 50.0 / np.maximum(n, 1), 100 - 50.0 / np.maximum(n, 1))
    direct = np.where(measured, p * (100 - p) / np.maximum(n, 1), np.inf)
    with np.errstate(invalid="ignore", divide="ignore"):
        weight = np.where(measured, prior / (prior + direct), 0.0)
        weight = np.where(measured & (prior == 0), 0.0, weight)
        variance = np.where(measured, prior * direct / (prior + direct), prior)
    estimate = weight * y_safe + (1 - weight) * m
    half = z * np.sqrt(np.nan_to_num(variance, nan=0.0))
    return estimate, np.clip(estimate - half, 0, 100), np.clip(estimate + half, 0, 100), weight
