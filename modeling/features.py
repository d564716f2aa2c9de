"""Feature frames built with pandas from the database.

One row per community of a level. The target is the indicator's value in the target
year (several sources averaged, weighted by sample size); every feature is the latest
value of its indicator from a year **strictly before** the target year, so nothing
measured in or after the target year leaks into the inputs. Two queries in all: the
communities, and every value needed, pivoted in pandas.
"""
import hashlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from django.db.models import F, Max, Q, Window
from django.utils.translation import gettext_lazy as _

from interventions.choices import Level
from interventions.models import Community, IndicatorValue

__all__ = [
    "DEFAULT_FEATURES",
    "NUMERIC_EXTRA",
    "FeatureFrame",
    "build_frame",
    "fingerprint_frame",
    "numeric_columns",
]

DEFAULT_FEATURES = (
    "poverty_pct",
    "water_public_network_pct",
    "sewer_public_network_pct",
    "electricity_pct",
    "firewood_cooking_pct",
    "sis_affiliation_pct",
    "urban_pct",
)
# Columns every frame has besides the indicator features.
NUMERIC_EXTRA = ("altitude_km", "log_population")
MISSING_SUFFIX = "__missing"
DEPARTMENT = "department"
TARGET = "target"
WEIGHT = "weight"

MSG_NO_COMMUNITIES = _("There are no communities at the %(level)s level.")


@dataclass
class FeatureFrame:
    """The frame and what it was built from."""

    frame: pd.DataFrame  # index: community code
    target: str
    level: str
    target_year: int
    features: list[str]
    feature_years: tuple[int, int] | None = None
    extra: dict = field(default_factory=dict)

    @property
    def numeric(self) -> list[str]:
        return numeric_columns(self.features)

    @property
    def labelled(self) -> pd.DataFrame:
        """Rows where the target was measured in the target year."""
        return self.frame[self.frame[TARGET].notna()]

    @property
    def fingerprint(self) -> str:
        return fingerprint_frame(self.frame)


def numeric_columns(features) -> list[str]:
    """Numeric model inputs in their fixed order: features, extras, then missing flags."""
    base = [*features, *NUMERIC_EXTRA]
    return [*base, *(f"{c}{MISSING_SUFFIX}" for c in base)]


def fingerprint_frame(frame: pd.DataFrame) -> str:
    """SHA-256 of the frame's contents (sorted rows and columns, values rounded to 1e-6)."""
    ordered = frame.sort_index().reindex(sorted(frame.columns), axis=1)
    digest = hashlib.sha256()
    digest.update("|".join(map(str, ordered.columns)).encode())
    digest.update("|".join(map(str, ordered.index)).encode())
    for column in ordered.columns:
        values = ordered[column]
        if pd.api.types.is_numeric_dtype(values):
            digest.update(np.round(values.to_numpy(dtype="float64"), 6).tobytes())
        else:
            digest.update("\x1f".join(values.astype(str)).encode())
    return digest.hexdigest()


def _communities(level, region):
    qs = Community.objects.filter(level=level)
    if region:
        qs = qs.filter(code__startswith=region)
    rows = list(qs.values_list("id", "code", "altitude_m", "population"))
    return pd.DataFrame(rows, columns=["id", "code", "altitude_m", "community_population"])


def build_frame(
    *,
    target: str,
    level: str = Level.DISTRICT,
    target_year: int,
    features=DEFAULT_FEATURES,
    feature_years: tuple[int, int] | None = None,
    region: str | None = None,
) -> FeatureFrame:
    """The feature frame for ``target`` at ``level`` in ``target_year``.

    ``feature_years`` (first, last) limits the years features are read from; the last
    year is always before ``target_year``.
    """
    features = list(features)
    communities = _communities(level, region)
    if communities.empty:
        raise ValueError(MSG_NO_COMMUNITIES % {"level": level})
    first_year, last_year = feature_years or (1900, target_year - 1)
    last_year = min(last_year, target_year - 1)
    wanted = sorted({*features, "population", "population_0_4", "poverty_pct"} - {target})
    qs = IndicatorValue.objects.filter(community__level=level)
    if region:
        qs = qs.filter(community__code__startswith=region)
    # Only the latest year of each (community, indicator) leaves the database: a window
    # function does the choosing, so a frame over sixteen years reads one year's rows.
    selected = qs.filter(
        Q(indicator__code__in=wanted, year__gte=first_year, year__lte=last_year)
        | Q(indicator__code=target, year=target_year)
    ).annotate(
        latest=Window(Max("year"), partition_by=[F("community_id"), F("indicator_id")])
    ).filter(year=F("latest"))
    values = pd.DataFrame(
        list(selected.values_list("community_id", "indicator__code", "year", "value", "sample_size")),
        columns=["id", "indicator", "year", "value", "n"],
    )
    past = values[(values["year"] >= first_year) & (values["year"] <= last_year) & values["indicator"].isin(wanted)]
    # Several sources in one year: their mean; then the latest year before the target.
    past = past.groupby(["id", "indicator", "year"], as_index=False)["value"].mean()
    latest = past.sort_values("year").groupby(["id", "indicator"]).tail(1)
    wide = latest.pivot(index="id", columns="indicator", values="value")

    now = values[(values["indicator"] == target) & (values["year"] == target_year)].copy()
    now["w"] = now["n"].fillna(1).clip(lower=1).astype(float)
    now["wv"] = now["value"] * now["w"]
    grouped = now.groupby("id").agg(wv=("wv", "sum"), w=("w", "sum"), n=("n", "sum"), k=("n", "count"))
    target_values = grouped["wv"] / grouped["w"]
    sample_sizes = grouped["n"].where(grouped["k"] > 0)

    frame = communities.set_index("id")
    for column in [*features, "population", "population_0_4", "poverty_pct"]:
        frame[column] = wide[column] if column in wide.columns else np.nan
    frame = frame.loc[:, ~frame.columns.duplicated()]
    population = frame["population"].fillna(frame["community_population"].astype(float))
    frame["population"] = population
    frame["altitude_km"] = frame["altitude_m"].astype(float) / 1000.0
    frame["log_population"] = np.log1p(population.astype(float))
    frame[DEPARTMENT] = frame["code"].str[:2]
    frame[TARGET] = target_values.reindex(frame.index)
    frame[WEIGHT] = sample_sizes.reindex(frame.index)
    frame[WEIGHT] = frame[WEIGHT].where(frame[WEIGHT] > 0, np.nan)
    frame.loc[frame[TARGET].notna() & frame[WEIGHT].isna(), WEIGHT] = 1.0
    for column in [*features, *NUMERIC_EXTRA]:
        frame[f"{column}{MISSING_SUFFIX}"] = frame[column].isna().astype(float)
    frame = frame.set_index("code").sort_index()
    keep = [*numeric_columns(features), DEPARTMENT, TARGET, WEIGHT, "population_0_4", "population"]
    if "poverty_pct" not in keep:
        keep.append("poverty_pct")
    frame = frame[[c for c in dict.fromkeys(keep)]].astype({c: float for c in numeric_columns(features)})
    return FeatureFrame(
        frame=frame, target=target, level=level, target_year=target_year, features=features,
        feature_years=feature_years,
    )
