"""Honest evaluation: cross-validation grouped by department, the Keras ensemble and
every baseline on the same folds, weighted by sample sizes."""
import time

import numpy as np
import pandas as pd
from django.utils.translation import gettext_lazy as _

from healthplanner.i18n import render

from .. import keras_model
from ..features import DEPARTMENT, GROUP_WIDTH, TARGET, WEIGHT, FeatureFrame, add_neighbours
from ..messages import LOG_CV_SECONDS, LOG_FOLD, method_seconds

__all__ = ["BASELINES", "DESIGNS", "METHODS", "department_folds", "grouped_folds", "metrics", "evaluate",
           "sampling_variance"]

BASELINES = ("mean", "ridge_poverty", "ridge_all", "gradient_boosting", "random_forest")
METHODS = ("keras", *BASELINES)
MSG_TOO_FEW_DEPARTMENTS = _(
    "Grouped cross-validation needs at least 2 departments with measured values; found %(n)s."
)
MSG_TOO_FEW_ROWS = _("Only %(n)s communities have a measured %(target)s in %(year)s: at least 20 are needed.")


def sampling_variance(y, n):
    """Binomial sampling variance of a percentage measured on n people (percent² units)."""
    y = np.clip(np.asarray(y, dtype=float), 0, 100)
    return y * (100 - y) / np.maximum(np.asarray(n, dtype=float), 1)


Z = {50: 0.6744897501960817, 80: keras_model.Z80, 95: 1.959963984540054}
ALPHA80 = 0.2


def metrics(y, pred, lower, upper, w, sigma=None) -> dict:
    """Weighted MAE, RMSE and R²; with the predictive σ, the weighted CRPS, the share of
    values inside the central 50/80/95% intervals and the 80% interval (Winkler) score.

    ``lower``/``upper`` are the 80% interval; σ, where not given, is read from it. The
    predictive distribution of an observed value is normal, mean ``pred``, sd σ.
    """
    from scipy.stats import norm

    y, pred, w = np.asarray(y, float), np.asarray(pred, float), np.asarray(w, float)
    lower, upper = np.asarray(lower, float), np.asarray(upper, float)
    sigma = (upper - lower) / (2 * Z[80]) if sigma is None else np.asarray(sigma, float)
    sigma = np.maximum(sigma, 1e-9)
    residual = y - pred
    mean = np.average(y, weights=w)
    ss_res = float(np.sum(w * residual**2))
    ss_tot = float(np.sum(w * (y - mean) ** 2))
    z = residual / sigma
    crps = sigma * (z * (2 * norm.cdf(z) - 1) + 2 * norm.pdf(z) - 1 / np.sqrt(np.pi))
    winkler = (upper - lower) + (2 / ALPHA80) * (np.maximum(lower - y, 0) + np.maximum(y - upper, 0))
    out = {
        "wmae": round(float(np.average(np.abs(residual), weights=w)), 4),
        "rmse": round(float(np.sqrt(ss_res / np.sum(w))), 4),
        "r2": round(1 - ss_res / ss_tot, 4) if ss_tot > 0 else 0.0,
        "crps": round(float(np.average(crps, weights=w)), 4),
    }
    for level, q in Z.items():
        out[f"coverage{level}"] = round(float(np.mean(np.abs(residual) <= q * sigma)), 4)
    out["winkler80"] = round(float(np.average(winkler, weights=w)), 4)
    return out


DESIGNS = tuple(GROUP_WIDTH)  # department-grouped first, then province-grouped


def grouped_folds(codes, design="department", n_splits=5):
    """GroupKFold by department (a region with no data) or by province (a district whose
    neighbours are measured): no group is ever in both train and test."""
    groups = np.array([str(c)[: GROUP_WIDTH[design]] for c in codes])
    if design == "department":
        return department_folds(groups, n_splits)
    from sklearn.model_selection import GroupKFold

    splitter = GroupKFold(n_splits=min(n_splits, len(np.unique(groups))))
    return list(splitter.split(np.zeros(len(groups)), groups=groups))


def department_folds(departments, n_splits=5):
    """GroupKFold by department: no department is ever in both train and test."""
    from sklearn.model_selection import GroupKFold

    groups = np.asarray(departments)
    n_groups = len(np.unique(groups))
    if n_groups < 2:
        raise ValueError(MSG_TOO_FEW_DEPARTMENTS % {"n": n_groups})
    splitter = GroupKFold(n_splits=min(n_splits, n_groups))
    return list(splitter.split(np.zeros(len(groups)), groups=groups))


def _sk_model(name, seed, poverty_index, trees=300):
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import GradientBoostingRegressor, RandomForestRegressor
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if name == "ridge_poverty":
        select = ColumnTransformer([("poverty", "passthrough", [poverty_index])])
        return make_pipeline(select, SimpleImputer(strategy="median"), StandardScaler(), Ridge(alpha=1.0))
    if name == "ridge_all":
        return make_pipeline(SimpleImputer(strategy="median"), StandardScaler(), Ridge(alpha=1.0))
    if name == "gradient_boosting":
        return make_pipeline(
            SimpleImputer(strategy="median"),
            GradientBoostingRegressor(n_estimators=trees, learning_rate=0.05, max_depth=3, subsample=0.8,
                                      random_state=seed),
        )
    if name == "random_forest":
        return make_pipeline(
            SimpleImputer(strategy="median"),
            RandomForestRegressor(n_estimators=trees, min_samples_leaf=3, n_jobs=2, random_state=seed),
        )
    raise KeyError(name)


def _fit_predict_baseline(name, X_tr, y_tr, w_tr, X_te, seed, poverty_index, trees=300):
    """Predictions and a residual σ measured on the training rows."""
    if name == "mean":
        mean = np.average(y_tr, weights=w_tr)
        pred_tr, pred_te = np.full(len(y_tr), mean), np.full(len(X_te), mean)
    else:
        model = _sk_model(name, seed, poverty_index, trees)
        last = model.steps[-1][0]
        model.fit(X_tr, y_tr, **{f"{last}__sample_weight": w_tr})
        pred_tr, pred_te = model.predict(X_tr), model.predict(X_te)
    sigma = float(np.sqrt(np.average((y_tr - pred_tr) ** 2, weights=w_tr)))
    return pred_te, sigma


def _per_department(deps, y, oof, w):
    """The weighted MAE, CRPS and 80% coverage of every method, department by department."""
    out = {}
    for department in sorted(set(deps)):
        rows = deps == department
        out[department] = {"n": int(rows.sum())}
        for method, values in oof.items():
            m = metrics(y[rows], values[rows, 0], values[rows, 1], values[rows, 2], w[rows], values[rows, 3])
            out[department][method] = {k: m[k] for k in ("wmae", "crps", "coverage80")}
    return out


def evaluate(ff: FeatureFrame, *, config, n_splits=5, data=None, log=None, design="department") -> dict:
    """Out-of-fold predictions of every method on the same grouped folds; their metrics.

    Neighbour inputs, when the frame has them, are rebuilt in every fold from that fold's
    training rows only, excluding the row's own group (department or province).
    """
    log = log or (lambda line: None)
    data = ff.labelled if data is None else data
    if len(data) < 20:
        raise ValueError(MSG_TOO_FEW_ROWS % {"n": len(data), "target": ff.target, "year": ff.target_year})
    deps = data[DEPARTMENT].to_numpy().astype(str)
    y = data[TARGET].to_numpy(dtype="float64")
    w = data[WEIGHT].to_numpy(dtype="float64")
    sv = sampling_variance(y, w)
    poverty_index = ff.numeric.index("poverty_pct") if "poverty_pct" in ff.numeric else 0
    if design == "department":
        folds = department_folds(deps, n_splits)
    else:
        folds = grouped_folds(data.index, design, n_splits)
    oof = {m: np.zeros((len(y), 4)) for m in METHODS}  # mean, lower 80%, upper 80%, σ
    model_sigma = np.zeros(len(y))  # the model's own σ for the true value (no sampling noise)
    seconds = dict.fromkeys(METHODS, 0.0)
    for k, (tr, te) in enumerate(folds):
        fold_data = data
        if ff.uses_neighbours:
            known = np.zeros(len(data), dtype=bool)
            known[tr] = True
            fold_data = add_neighbours(data, known, exclude=design)
        X = fold_data[ff.numeric].to_numpy(dtype="float64")
        fold_config = keras_model.TrainConfig(**{**config.__dict__, "seed": config.seed + 1000 * (k + 1)})
        t0 = time.perf_counter()
        fit = keras_model.fit_ensemble(X[tr], deps[tr], y[tr], w[tr], sv[tr], config=fold_config)
        seconds["keras"] += time.perf_counter() - t0
        members = keras_model.predict_members(fit.model, X[te], deps[te])
        mean = members.mean(axis=1)
        model_sigma[te] = np.sqrt(members.var(axis=1) + fit.tau**2)
        sigma = np.sqrt(model_sigma[te] ** 2 + sv[te])
        half = keras_model.Z80 * sigma
        oof["keras"][te] = np.column_stack([mean, mean - half, mean + half, sigma])
        for name in BASELINES:
            t0 = time.perf_counter()
            pred, spread = _fit_predict_baseline(name, X[tr], y[tr], w[tr], X[te], config.seed, poverty_index,
                                                 config.baseline_trees)
            seconds[name] += time.perf_counter() - t0
            sigma = np.sqrt(spread**2 + sv[te])
            half = keras_model.Z80 * sigma
            oof[name][te] = np.column_stack([pred, pred - half, pred + half, sigma])
        log(render(LOG_FOLD, {"design": design, "fold": k + 1, "folds": len(folds),
                              "departments": ", ".join(sorted(set(deps[te]))), "epochs": fit.epochs}))
    result = {m: metrics(y, oof[m][:, 0], oof[m][:, 1], oof[m][:, 2], w, oof[m][:, 3]) for m in METHODS}
    log(render(LOG_CV_SECONDS, {"design": design, "seconds": method_seconds(seconds)}))
    result["_folds"] = [sorted(set(deps[te])) for _, te in folds]
    result["_per_department"] = _per_department(deps, y, oof, w)
    result["_oof"] = pd.DataFrame({m: oof[m][:, 0] for m in METHODS}, index=data.index)
    result["_estimate_check"] = estimate_check(y, w, oof["keras"][:, 0], model_sigma, seed=config.seed)
    return result


def estimate_check(y, n, predicted, model_sigma, *, seed=0, min_children=20) -> dict:
    """Held-out check of the small-area estimate (docs/modeling.md).

    For every district with at least ``min_children`` measured, the children are split at
    random in two halves (hypergeometric): half A plays the survey, half B the truth the
    planner never sees. The estimate combines the **out-of-fold** prediction (the district's
    department hidden from training) with half A only; its 80% interval, widened by half B's
    own sampling variance, should hold half B's rate 80% of the time. The weighted MAE
    against half B compares the estimate with the model alone and the measurement alone.
    """
    from .impact import small_area_estimate

    rng = np.random.default_rng(seed)
    y, n = np.asarray(y, float), np.asarray(n, float)
    rows = np.flatnonzero(np.isfinite(y) & (n >= min_children))
    if len(rows) == 0:
        return {"n": 0}
    total = np.floor(n[rows]).astype(int)
    cases = np.clip(np.rint(y[rows] / 100 * total), 0, total).astype(int)
    size_a = total // 2
    cases_a = rng.hypergeometric(cases, total - cases, size_a)
    size_b = total - size_a
    y_a, y_b = 100 * cases_a / size_a, 100 * (cases - cases_a) / size_b
    m = predicted[rows]
    half = keras_model.Z80 * model_sigma[rows]
    estimate, _, _, weight = small_area_estimate(m, m - half, m + half, y_a, size_a, keras_model.Z80)
    var_estimate = (1 - weight) * model_sigma[rows] ** 2  # P·D / (P + D), before clipping to 0–100
    inside = np.abs(y_b - estimate) <= keras_model.Z80 * np.sqrt(var_estimate + sampling_variance(y_b, size_b))
    inside_model = np.abs(y_b - m) <= keras_model.Z80 * np.sqrt(model_sigma[rows] ** 2 + sampling_variance(y_b, size_b))
    w = size_b.astype(float)
    return {
        "n": int(len(rows)),
        "coverage80": round(float(inside.mean()), 4),
        "coverage80_model": round(float(inside_model.mean()), 4),
        "wmae_estimate": round(float(np.average(np.abs(y_b - estimate), weights=w)), 4),
        "wmae_model": round(float(np.average(np.abs(y_b - m), weights=w)), 4),
        "wmae_direct": round(float(np.average(np.abs(y_b - y_a), weights=w)), 4),
        "mean_measurement_weight": round(float(np.mean(weight)), 4),
    }
