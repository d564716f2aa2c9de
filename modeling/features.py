"""Feature frames built with pandas from the database.

One row per community of a level. The target is the indicator's value in the target
year (several sources averaged, weighted by sample size); every feature is the latest
value of its indicator from a year **strictly before** the target year, so nothing
measured in or after the target year leaks into the inputs. Three queries in all: the
communities, every value needed (pivoted in pandas), and the department series of the
target.

Besides the indicators, every frame has geographic columns (altitude, centroid,
population density) and the department's own level and trend of the target (ENDES, by
department and year, years before the target year only). Neighbour features — the
measured target around a community — depend on which rows are known, so they are not in
the frame: :func:`add_neighbour_features` builds them from the training rows of each fold.
"""
import hashlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from django.db.models import F, Max, Q, Window
from django.utils.translation import gettext_lazy as _

from interventions.choices import Level
from interventions.models import Community, IndicatorValue

from .labels import level_label

__all__ = [
    "DEFAULT_FEATURES",
    "NUMERIC_EXTRA",
    "NEIGHBOUR_COLUMNS",
    "OPTIONAL_INPUTS",
    "DEFAULT_INPUTS",
    "add_neighbours",
    "neighbour_features",
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
    "internet_pct",
    "literacy_pct",
    "secondary_education_pct",
    "native_language_pct",
)
# Columns every frame has besides the indicator features.
NUMERIC_EXTRA = ("altitude_km", "log_population", "latitude", "longitude", "log_density")
# Inputs a training may add (``inputs=``): the department's ENDES level and trend of the
# target, and the measured target of the nearest communities (filled per fold, see
# add_neighbours). The defaults are what the grouped cross-validation chose (docs/modeling.md):
# on the real 2022 district data both lowered the held-out accuracy, so neither is on.
DEPARTMENT_INPUTS = ("department_level", "department_trend")
NEIGHBOUR_COLUMNS = ("neighbour_target", "neighbour_distance_km")
OPTIONAL_INPUTS = (*DEPARTMENT_INPUTS, *NEIGHBOUR_COLUMNS)
DEFAULT_INPUTS: tuple[str, ...] = ()
MSG_UNKNOWN_INPUT = _("Unknown model input “%(name)s”: choose among %(choices)s.")
# The department series: the level is the mean of the last LEVEL_YEARS years before the
# target year, the trend the least-squares slope (points a year) over the last TREND_YEARS.
LEVEL_YEARS = 2
TREND_YEARS = 6
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
    inputs: tuple[str, ...] = DEFAULT_INPUTS
    extra: dict = field(default_factory=dict)

    @property
    def numeric(self) -> list[str]:
        return numeric_columns(self.features, self.inputs)

    @property
    def uses_neighbours(self) -> bool:
        return any(c in self.inputs for c in NEIGHBOUR_COLUMNS)

    @property
    def labelled(self) -> pd.DataFrame:
        """Rows where the target was measured in the target year."""
        return self.frame[self.frame[TARGET].notna()]

    @property
    def fingerprint(self) -> str:
        return fingerprint_frame(self.frame)


def numeric_columns(features, inputs=DEFAULT_INPUTS) -> list[str]:
    """Numeric model inputs in their fixed order: features, extras, optional inputs, then missing flags."""
    base = [*features, *NUMERIC_EXTRA, *(c for c in OPTIONAL_INPUTS if c in inputs)]
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
    rows = list(qs.values_list("id", "code", "altitude_m", "population", "latitude", "longitude", "area_km2"))
    return pd.DataFrame(rows, columns=["id", "code", "altitude_m", "community_population", "latitude", "longitude",
                                       "area_km2"])


def department_series(target: str, target_year: int) -> pd.DataFrame:
    """Each department's level and trend of ``target`` from years strictly before
    ``target_year`` (several sources in a year: their mean). Index: department code."""
    rows = IndicatorValue.objects.filter(
        indicator__code=target, community__level=Level.DEPARTMENT,
        year__lt=target_year, year__gte=target_year - TREND_YEARS,
    ).values_list("community__code", "year", "value")
    values = pd.DataFrame(list(rows), columns=["department", "year", "value"])
    if values.empty:
        return pd.DataFrame(columns=["department_level", "department_trend"], dtype=float)
    yearly = values.groupby(["department", "year"], as_index=False)["value"].mean()
    out = {}
    for department, group in yearly.groupby("department"):
        group = group.sort_values("year")
        recent = group[group["year"] > target_year - 1 - LEVEL_YEARS]
        level = float(recent["value"].mean()) if len(recent) else float(group["value"].iloc[-1])
        trend = float(np.polyfit(group["year"], group["value"], 1)[0]) if len(group) >= 3 else np.nan
        out[department] = (level, trend)
    return pd.DataFrame.from_dict(out, orient="index", columns=["department_level", "department_trend"])


def build_frame(
    *,
    target: str,
    level: str = Level.DISTRICT,
    target_year: int,
    features=DEFAULT_FEATURES,
    feature_years: tuple[int, int] | None = None,
    region: str | None = None,
    inputs=DEFAULT_INPUTS,
) -> FeatureFrame:
    """The feature frame for ``target`` at ``level`` in ``target_year``.

    ``feature_years`` (first, last) limits the years features are read from; the last
    year is always before ``target_year``.
    """
    features = list(features)
    for name in sorted(set(inputs or ()) - set(OPTIONAL_INPUTS)):
        raise ValueError(MSG_UNKNOWN_INPUT % {"name": name, "choices": ", ".join(OPTIONAL_INPUTS)})
    inputs = tuple(c for c in OPTIONAL_INPUTS if c in set(inputs or ()))
    communities = _communities(level, region)
    if communities.empty:
        raise ValueError(MSG_NO_COMMUNITIES % {"level": level_label(level)})
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
    area = frame["area_km2"].astype(float)
    frame["log_density"] = np.log1p(population.astype(float) / area.where(area > 0))
    frame["latitude"] = frame["latitude"].astype(float)
    frame["longitude"] = frame["longitude"].astype(float)
    frame[DEPARTMENT] = frame["code"].str[:2]
    if any(c in inputs for c in DEPARTMENT_INPUTS):
        series = department_series(target, target_year)
        for column in DEPARTMENT_INPUTS:
            frame[column] = frame[DEPARTMENT].map(series[column]).astype(float) if len(series) else np.nan
    for column in NEIGHBOUR_COLUMNS:
        frame[column] = np.nan  # filled per fold by add_neighbours
    frame[TARGET] = target_values.reindex(frame.index)
    frame[WEIGHT] = sample_sizes.reindex(frame.index)
    frame[WEIGHT] = frame[WEIGHT].where(frame[WEIGHT] > 0, np.nan)
    frame.loc[frame[TARGET].notna() & frame[WEIGHT].isna(), WEIGHT] = 1.0
    for column in [*features, *NUMERIC_EXTRA, *inputs]:
        if column not in NEIGHBOUR_COLUMNS:
            frame[f"{column}{MISSING_SUFFIX}"] = frame[column].isna().astype(float)
    frame = frame.set_index("code").sort_index()
    keep = [*numeric_columns(features, inputs), DEPARTMENT, TARGET, WEIGHT, "population_0_4", "population",
            *NEIGHBOUR_COLUMNS]
    if "poverty_pct" not in keep:
        keep.append("poverty_pct")
    for column in NEIGHBOUR_COLUMNS:
        frame[f"{column}{MISSING_SUFFIX}"] = 1.0
    numeric = numeric_columns(features, inputs)
    frame = frame[[c for c in dict.fromkeys(keep) if c in frame.columns or c in numeric]]
    frame = frame.astype({c: float for c in numeric})
    return FeatureFrame(
        frame=frame, target=target, level=level, target_year=target_year, features=features,
        feature_years=feature_years, inputs=inputs,
    )


NEIGHBOURS = 8
GROUP_WIDTH = {"department": 2, "province": 4}


def neighbour_features(frame: pd.DataFrame, known: np.ndarray, *, exclude: str = "department",
                       k: int = NEIGHBOURS) -> pd.DataFrame:
    """For each row of ``frame``: the measured target around it, from ``known`` rows only.

    ``neighbour_target`` is the mean target of the ``k`` nearest known communities (by
    centroid) **outside the row's own department** (or province, ``exclude="province"``),
    weighted by sample size over distance; ``neighbour_distance_km`` their mean distance.
    A row never reads itself, nor any row outside ``known`` (the held-out fold), so the
    feature is built strictly out of fold, and training rows see their neighbours the way
    held-out rows do (a whole department, or province, hidden).
    """
    known = np.asarray(known, dtype=bool)
    out = pd.DataFrame(np.nan, index=frame.index, columns=list(NEIGHBOUR_COLUMNS))
    lat = frame["latitude"].to_numpy(dtype=float)
    lon = frame["longitude"].to_numpy(dtype=float)
    y = frame[TARGET].to_numpy(dtype=float)
    n = frame[WEIGHT].to_numpy(dtype=float)
    source = known & np.isfinite(lat) & np.isfinite(lon) & np.isfinite(y)
    rows = np.flatnonzero(np.isfinite(lat) & np.isfinite(lon))
    src = np.flatnonzero(source)
    if len(src) == 0 or len(rows) == 0:
        return out
    width = GROUP_WIDTH[exclude]
    codes = frame.index.to_numpy().astype(str)
    groups = np.array([c[:width] for c in codes])
    # Equirectangular distances in km: enough for ranking neighbours within Peru.
    rad = np.pi / 180.0
    mid = np.cos(np.nanmean(lat[src]) * rad)
    dx = (lon[rows][:, None] - lon[src][None, :]) * mid * 111.32
    dy = (lat[rows][:, None] - lat[src][None, :]) * 110.57
    dist = np.hypot(dx, dy)
    dist[groups[rows][:, None] == groups[src][None, :]] = np.inf
    k = min(k, len(src))
    nearest = np.argpartition(dist, k - 1, axis=1)[:, :k]
    d = np.take_along_axis(dist, nearest, axis=1)
    ok = np.isfinite(d)
    w = np.where(ok, np.sqrt(np.nan_to_num(n[src][nearest], nan=1.0).clip(min=1)) / (d + 10.0), 0.0)
    values = np.where(ok, y[src][nearest], 0.0)
    total = w.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        target = np.where(total > 0, (w * values).sum(axis=1) / total, np.nan)
        mean_d = np.where(ok.any(axis=1), np.where(ok, d, 0).sum(axis=1) / ok.sum(axis=1), np.nan)
    out.iloc[rows, 0] = target
    out.iloc[rows, 1] = mean_d
    return out


def add_neighbours(frame: pd.DataFrame, known, *, exclude: str = "department") -> pd.DataFrame:
    """A copy of ``frame`` with the neighbour columns (and their missing flags) filled from
    the ``known`` rows only; the frame itself is not changed."""
    out = frame.copy()
    values = neighbour_features(frame, known, exclude=exclude)
    for column in NEIGHBOUR_COLUMNS:
        out[column] = values[column].to_numpy()
        out[f"{column}{MISSING_SUFFIX}"] = values[column].isna().astype(float).to_numpy()
    return out
