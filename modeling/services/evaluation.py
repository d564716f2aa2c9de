"""Honest evaluation: cross-validation grouped by department, the Keras ensemble and
every baseline on the same folds, weighted by sample sizes."""
import time

import numpy as np
import pandas as pd
from django.utils.translation import gettext_lazy as _

from .. import keras_model
from ..features import DEPARTMENT, TARGET, WEIGHT, FeatureFrame

__all__ = ["BASELINES", "METHODS", "department_folds", "metrics", "evaluate", "sampling_variance"]

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


def metrics(y, pred, lower, upper, w) -> dict:
    """Weighted MAE, weighted RMSE, weighted R² and the share inside the 80% interval."""
    y, pred, w = np.asarray(y, float), np.asarray(pred, float), np.asarray(w, float)
    residual = y - pred
    mean = np.average(y, weights=w)
    ss_res = float(np.sum(w * residual**2))
    ss_tot = float(np.sum(w * (y - mean) ** 2))
    return {
        "wmae": round(float(np.average(np.abs(residual), weights=w)), 4),
        "rmse": round(float(np.sqrt(ss_res / np.sum(w))), 4),
        "r2": round(1 - ss_res / ss_tot, 4) if ss_tot > 0 else 0.0,
        "coverage80": round(float(np.mean((y >= lower) & (y <= upper))), 4),
    }


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


def evaluate(ff: FeatureFrame, *, config, n_splits=5, data=None, log=None) -> dict:
    """Out-of-fold predictions of every method on the same department folds; their metrics."""
    log = log or (lambda line: None)
    data = ff.labelled if data is None else data
    if len(data) < 20:
        raise ValueError(MSG_TOO_FEW_ROWS % {"n": len(data), "target": ff.target, "year": ff.target_year})
    X = data[ff.numeric].to_numpy(dtype="float64")
    deps = data[DEPARTMENT].to_numpy().astype(str)
    y = data[TARGET].to_numpy(dtype="float64")
    w = data[WEIGHT].to_numpy(dtype="float64")
    sv = sampling_variance(y, w)
    poverty_index = ff.numeric.index("poverty_pct") if "poverty_pct" in ff.numeric else 0
    folds = department_folds(deps, n_splits)
    oof = {m: np.zeros((len(y), 3)) for m in METHODS}
    seconds = dict.fromkeys(METHODS, 0.0)
    for k, (tr, te) in enumerate(folds):
        fold_config = keras_model.TrainConfig(**{**config.__dict__, "seed": config.seed + 1000 * (k + 1)})
        t0 = time.perf_counter()
        fit = keras_model.fit_ensemble(X[tr], deps[tr], y[tr], w[tr], sv[tr], config=fold_config)
        seconds["keras"] += time.perf_counter() - t0
        members = keras_model.predict_members(fit.model, X[te], deps[te])
        mean = members.mean(axis=1)
        half = keras_model.Z80 * np.sqrt(members.var(axis=1) + fit.tau**2 + sv[te])
        oof["keras"][te] = np.column_stack([mean, mean - half, mean + half])
        for name in BASELINES:
            t0 = time.perf_counter()
            pred, sigma = _fit_predict_baseline(name, X[tr], y[tr], w[tr], X[te], config.seed, poverty_index,
                                                config.baseline_trees)
            seconds[name] += time.perf_counter() - t0
            half = keras_model.Z80 * np.sqrt(sigma**2 + sv[te])
            oof[name][te] = np.column_stack([pred, pred - half, pred + half])
        log(f"fold {k + 1}/{len(folds)}: test departments {', '.join(sorted(set(deps[te])))}; "
            f"keras stopped after {fit.epochs} epochs")
    result = {m: metrics(y, oof[m][:, 0], oof[m][:, 1], oof[m][:, 2], w) for m in METHODS}
    log("CV seconds: " + ", ".join(f"{m} {s:.1f}" for m, s in seconds.items()))
    result["_folds"] = [sorted(set(deps[te])) for _, te in folds]
    result["_oof"] = pd.DataFrame({m: oof[m][:, 0] for m in METHODS}, index=data.index)
    return result
