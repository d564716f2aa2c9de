"""Score every community at a model's level: predicted burden with its 80% interval,
expected cases averted per intervention type (LiST), cost per case averted, and a
priority combining burden, poverty and cost-effectiveness, each component stored."""
import numpy as np
import pandas as pd
from django.db import connection, transaction
from django.db.models import Max
from django.utils.translation import gettext_lazy as _

from healthplanner.db import copy_rows
from healthplanner.i18n import render
from interventions.models import Community, IndicatorValue, InterventionType

from .. import keras_model
from ..features import DEPARTMENT, TARGET, WEIGHT, add_neighbours, build_frame
from ..messages import LOG_SCORED
from ..models import CommunityScore, ModelStatus, ModelVersion
from .impact import (
    AFFECTED_FRACTION,
    beneficiary_pool,
    cases_averted,
    children_per_beneficiary,
    combined_reduction,
    current_coverage,
    small_area_estimate,
    target_population,
)

__all__ = ["DEFAULT_MAX_COVERAGE", "PRIORITY_WEIGHTS", "score_version", "compute_scores", "predict_frame", "score_year"]

DEFAULT_MAX_COVERAGE = 0.9
# burden, equity (poverty), cost-effectiveness; the priority is their weighted mean × 100.
PRIORITY_WEIGHTS = {"burden": 1.0, "equity": 1.0, "cost_effectiveness": 1.0}
MSG_NO_FILE = _("Version %(id)s has no model file: it cannot score.")


def score_year(version: ModelVersion) -> int:
    """The year a version scores: the latest year of its target at its level, never before
    the year it was trained for."""
    latest = IndicatorValue.objects.filter(
        indicator=version.target, community__level=version.level
    ).aggregate(year=Max("year"))["year"]
    return max(latest or version.target_year, version.target_year)


def predict_frame(version: ModelVersion, frame: pd.DataFrame):
    """Ensemble mean and the 80% interval of the true burden for every row of the frame."""
    if not version.file_path:
        raise ValueError(MSG_NO_FILE % {"id": version.pk})
    model = keras_model.load_cached(version.pk, version.file_path)
    numeric = frame[version.hyperparameters.get("numeric_inputs")].to_numpy(dtype="float32")
    members = keras_model.predict_members(model, numeric, frame[DEPARTMENT].to_numpy())
    tau = float(version.hyperparameters.get("tau", 0.0))
    mean = members.mean(axis=1)
    half = keras_model.Z80 * np.sqrt(members.var(axis=1) + tau**2)
    low, high = version.target.min_value, version.target.max_value
    clip = lambda a: np.clip(a, low if low is not None else -np.inf, high if high is not None else np.inf)  # noqa: E731
    return clip(mean), clip(mean - half), clip(mean + half)


def compute_scores(frame, predicted, lower, upper, types, *, indicator, max_coverage=DEFAULT_MAX_COVERAGE,
                   weights=PRIORITY_WEIGHTS) -> pd.DataFrame:
    """Vectorised scores for every row of ``frame`` (no database access)."""
    out = pd.DataFrame(index=frame.index)
    out["predicted"], out["lower"], out["upper"] = predicted, lower, upper
    out["observed"] = frame[TARGET] if TARGET in frame else np.nan
    sample_size = frame[WEIGHT] if WEIGHT in frame else pd.Series(np.nan, index=frame.index)
    # The small-area estimate: the measurement and the model combined; priorities, impacts
    # and plans use it (the model alone where nothing was measured).
    estimate, estimate_lower, estimate_upper, weight = small_area_estimate(
        predicted, lower, upper, out["observed"].to_numpy(dtype=float), sample_size.to_numpy(dtype=float),
        keras_model.Z80)
    out["estimate"], out["estimate_lower"], out["estimate_upper"] = estimate, estimate_lower, estimate_upper
    out["measurement_weight"] = weight
    population = target_population(frame, indicator).to_numpy()
    out["target_population"] = population
    out["cases"] = estimate / 100.0 * population
    out["poverty"] = frame["poverty_pct"] if "poverty_pct" in frame else np.nan
    details = {}
    reductions, best_ratio = [], np.zeros(len(frame))
    prevalence = np.clip(estimate / 100.0, 0.0, 1.0)
    for t in types:
        c0, c0_source = current_coverage(frame, t, max_coverage)
        pool = beneficiary_pool(frame, t.target_group).to_numpy()
        beneficiaries = np.maximum(max_coverage - c0, 0.0) * pool
        children = beneficiaries * children_per_beneficiary(t.target_group, indicator, pool, population)
        averted = cases_averted(float(t.effect_relative), AFFECTED_FRACTION.get(t.code, 1.0), prevalence, children)
        with np.errstate(divide="ignore", invalid="ignore"):
            reduction = np.clip(np.where(out["cases"].to_numpy() > 0, averted / out["cases"].to_numpy(), 0.0), 0, 1)
        reductions.append(reduction)
        cost = beneficiaries * float(t.cost_per_beneficiary_pen)
        with np.errstate(divide="ignore", invalid="ignore"):
            per_case = np.where(averted > 0, cost / averted, np.nan)
            ratio = np.where(cost > 0, averted / cost * 1000.0, 0.0)
        best_ratio = np.maximum(best_ratio, np.nan_to_num(ratio))
        details[t.code] = (c0, c0_source, pool, averted, beneficiaries, children, cost, per_case)
    combined = combined_reduction(np.column_stack(reductions)) if reductions else np.zeros(len(frame))
    out["cases_averted_all"] = out["cases"].to_numpy() * combined
    burden = np.clip(out["estimate"].to_numpy() / 100.0, 0, 1)
    equity = np.clip(np.nan_to_num(out["poverty"].to_numpy(dtype=float), nan=0.0) / 100.0, 0, 1)
    top = best_ratio.max() if len(best_ratio) and best_ratio.max() > 0 else 1.0
    ce = best_ratio / top
    total = sum(weights.values())
    out["burden_component"] = burden
    out["equity_component"] = equity
    out["cost_effectiveness_component"] = ce
    out["priority"] = 100.0 * (
        weights["burden"] * burden + weights["equity"] * equity + weights["cost_effectiveness"] * ce
    ) / total
    # Build the per-community JSON column from whole columns (no per-element numpy access).
    columns = {}
    for code, (c0, c0_source, pool, averted, beneficiaries, children, cost, per_case) in details.items():
        columns[code] = list(zip(
            np.round(c0, 4).tolist(), c0_source, np.round(pool, 1).tolist(), np.round(averted, 3).tolist(),
            np.round(beneficiaries, 1).tolist(), np.round(children, 1).tolist(), np.round(cost, 2).tolist(),
            [None if v != v else v for v in np.round(per_case, 2).tolist()],
            strict=True,
        ))
    keys = ("coverage_now", "coverage_source", "beneficiary_pool", "cases_averted", "beneficiaries",
            "children_reached", "cost_pen", "cost_per_case_averted_pen")
    combined_cases = np.round(out["cases_averted_all"].to_numpy(), 3).tolist()
    rows = []
    for i, total in enumerate(combined_cases):
        item = {code: dict(zip(keys, values[i], strict=True)) for code, values in columns.items()}
        item["_combined"] = {"cases_averted": total, "max_coverage": max_coverage}
        rows.append(item)
    out["interventions"] = rows
    return out


def _types_for(version):
    return list(InterventionType.objects.filter(indicator=version.target, is_active=True)
                .select_related("coverage_indicator").order_by("code"))


SCORE_COLUMNS = (
    "version_id", "community_id", "year", "observed", "predicted", "lower", "upper", "estimate", "estimate_lower",
    "estimate_upper", "measurement_weight", "target_population", "cases", "poverty", "priority", "burden_component",
    "equity_component", "cost_effectiveness_component", "interventions",
)


@transaction.atomic
def _write(version, year, scores, communities):
    """Replace the version's scores in one transaction: readers see old or new, never half.
    On PostgreSQL the rows go in with COPY; elsewhere with bulk_create."""
    CommunityScore.objects.filter(version=version).delete()
    ids = [communities[code] for code in scores.index]
    nullable = lambda a: [None if v != v else v for v in a]  # noqa: E731 - NaN → NULL
    columns = [
        [version.pk] * len(ids), ids, [year] * len(ids), nullable(scores["observed"].astype(float).tolist()),
        *(scores[c].astype(float).tolist() for c in ("predicted", "lower", "upper", "estimate", "estimate_lower",
                                                     "estimate_upper", "measurement_weight", "target_population",
                                                     "cases")),
        nullable(scores["poverty"].astype(float).tolist()),
        *(scores[c].astype(float).tolist() for c in ("priority", "burden_component", "equity_component",
                                                     "cost_effectiveness_component")),
        scores["interventions"].tolist(),
    ]
    rows = list(zip(*columns, strict=True))
    if connection.vendor == "postgresql":
        copy_rows(connection, CommunityScore._meta.db_table, SCORE_COLUMNS, rows)
    else:
        CommunityScore.objects.bulk_create(
            [CommunityScore(**dict(zip(SCORE_COLUMNS, row, strict=True))) for row in rows], batch_size=2000
        )
    return len(rows)


def score_version(*, version: ModelVersion, year: int | None = None, max_coverage=DEFAULT_MAX_COVERAGE,
                  log=None) -> int:
    """Score every community at the version's level for ``year`` (default: the latest
    year with any value of the target, so the latest year is nowcast and gaps filled)."""
    log = log or (lambda line: None)
    year = year or score_year(version)
    types = _types_for(version)
    extra = [t.coverage_indicator.code for t in types if t.coverage_indicator_id]
    ff = build_frame(
        target=version.target.code, level=version.level, target_year=year,
        features=list(dict.fromkeys([*version.features, *extra])),
        inputs=tuple(version.hyperparameters.get("inputs") or ()),
    )
    frame = ff.frame
    if ff.uses_neighbours:
        # Each community's neighbours: the measured ones outside its department, as in training.
        frame = add_neighbours(frame, frame[TARGET].notna().to_numpy())
    predicted, lower, upper = predict_frame(version, frame)
    scores = compute_scores(frame, predicted, lower, upper, types, indicator=version.target.code,
                            max_coverage=max_coverage)
    communities = dict(Community.objects.filter(level=version.level).values_list("code", "id"))
    n = _write(version, year, scores, communities)
    log(render(LOG_SCORED, {"n": n, "year": year, "version": version.pk, "types": len(types)}))
    return n


def score_active(*, log=None) -> int:
    total = 0
    for version in ModelVersion.objects.filter(status=ModelStatus.ACTIVE).select_related("target"):
        total += score_version(version=version, log=log)
    return total
