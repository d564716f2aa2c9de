"""How many cases an intervention averts: the Lives Saved Tool's coverage formula.

For one intervention raising coverage from ``c0`` to ``c1``::

    reduction = affected_fraction × effectiveness × (c1 − c0) / (1 − effectiveness × c0)

Several interventions acting on one indicator combine multiplicatively:
``1 − Π(1 − reduction_i)``. Cases averted = reduction × predicted prevalence × target
population. Affected fractions and the size of each target group are kept here, on the
modeling side, so the catalogue stays as staff edit it.
"""
import numpy as np
import pandas as pd

from interventions.choices import TargetGroup

__all__ = [
    "AFFECTED_FRACTION",
    "COVERAGE_INDICATOR",
    "HOUSEHOLD_SIZE",
    "list_reduction",
    "combined_reduction",
    "target_population",
    "beneficiary_pool",
    "current_coverage",
]

# Share of the outcome that the intervention's mechanism can act on (LiST's affected
# fraction); 1.0 when the catalogue's effect is already measured on the whole outcome.
AFFECTED_FRACTION: dict[str, float] = {}
# Interventions whose current coverage is measured by an indicator (share of households).
COVERAGE_INDICATOR = {
    "safe_water": "water_public_network_pct",
    "sanitation": "sewer_public_network_pct",
}
HOUSEHOLD_SIZE = 3.5  # persons per household, Censo 2017 (INEI)
UNDER5_SHARE = 0.085  # children 0–4 per person where population_0_4 is unknown
# Who the indicator counts, as a share of children aged 0–4.
OUTCOME_GROUP = {
    "stunting_u5_pct": 1.0,
    "anaemia_6_35m_pct": 0.5,  # 30 of the 60 months
    "diarrhoea_u5_pct": 1.0,
}


def list_reduction(effectiveness, affected_fraction, c0, c1):
    """LiST: the proportional reduction of the outcome when coverage goes c0 → c1."""
    effectiveness = np.asarray(effectiveness, dtype=float)
    c0 = np.asarray(c0, dtype=float)
    c1 = np.asarray(c1, dtype=float)
    return affected_fraction * effectiveness * (c1 - c0) / (1.0 - effectiveness * c0)


def combined_reduction(reductions):
    """Several interventions on one outcome combine multiplicatively."""
    reductions = np.asarray(reductions, dtype=float)
    return 1.0 - np.prod(1.0 - reductions, axis=-1)


def _children(frame: pd.DataFrame) -> pd.Series:
    under5 = frame["population_0_4"] if "population_0_4" in frame else pd.Series(np.nan, index=frame.index)
    return under5.fillna(frame["population"].fillna(0) * UNDER5_SHARE).fillna(0)


def target_population(frame: pd.DataFrame, indicator: str) -> pd.Series:
    """People the indicator counts in each community (children 0–4, or 6–35 months)."""
    return _children(frame) * OUTCOME_GROUP.get(indicator, 1.0)


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


def current_coverage(frame: pd.DataFrame, code: str, max_coverage: float) -> pd.Series:
    """Today's coverage: the matching indicator where one exists, otherwise none."""
    column = COVERAGE_INDICATOR.get(code)
    if column and column in frame:
        return (frame[column] / 100.0).fillna(0.0).clip(0.0, max_coverage)
    return pd.Series(0.0, index=frame.index)
