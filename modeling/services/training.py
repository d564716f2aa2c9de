"""Train a model version: grouped CV against the baselines, then the final ensemble on
every labelled row, saved under MODEL_FILES_ROOT, registered by the registry rule."""
import time
import uuid

import numpy as np
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from healthplanner.i18n import render
from interventions.choices import Level
from interventions.models import Indicator

from .. import keras_model
from ..features import DEFAULT_FEATURES, DEFAULT_INPUTS, DEPARTMENT, TARGET, WEIGHT, add_neighbours, build_frame
from ..messages import LOG_ACTIVE, LOG_CANDIDATE, LOG_FINAL, LOG_FRAME
from ..models import ModelStatus, ModelVersion
from .evaluation import BASELINES, DESIGNS, METHODS, evaluate, sampling_variance

__all__ = ["model_version_train", "model_version_promote", "MSG_UNKNOWN_TARGET"]

MSG_UNKNOWN_TARGET = _("There is no indicator with the code “%(code)s”.")
MSG_ALREADY_ACTIVE = _("Version %(id)s is already the active model.")
MSG_RETIRED = _("Version %(id)s is retired: train a new one instead.")


def model_version_train(
    *,
    target: str,
    level: str = Level.DISTRICT,
    target_year: int,
    features=None,
    feature_years: tuple[int, int] | None = None,
    min_sample_size: int | None = None,
    config: keras_model.TrainConfig | None = None,
    n_splits: int = 5,
    inputs=None,
    designs=DESIGNS,
    user=None,
    log=None,
) -> ModelVersion:
    """Evaluate, train and register a new version. Nothing is written to the registry
    unless every step succeeded, so a failure leaves the active version as it was.

    Every method is cross-validated on each design of ``designs`` (department-grouped
    first: its figures are the version's ``metrics`` and ``baselines`` and decide
    activation; province-grouped beside it in ``evaluation``)."""
    log = log or (lambda line: None)
    config = config or keras_model.default_config(target)
    indicator = Indicator.objects.filter(code=target).first()
    if indicator is None:
        raise ValueError(MSG_UNKNOWN_TARGET % {"code": target})
    started = time.perf_counter()
    ff = build_frame(
        target=target, level=level, target_year=target_year,
        features=list(features or DEFAULT_FEATURES), feature_years=feature_years,
        inputs=DEFAULT_INPUTS if inputs is None else inputs,
    )
    data = ff.labelled
    if min_sample_size:
        data = data[data[WEIGHT] >= min_sample_size]
    log(render(LOG_FRAME, {"communities": len(ff.frame), "measured": len(data), "target": target,
                           "year": target_year, "fingerprint": ff.fingerprint[:12]}))
    designs = [d for d in DESIGNS if d in (designs or DESIGNS)]
    results = {design: evaluate(ff, config=config, n_splits=n_splits, data=data, log=log, design=design)
               for design in designs}
    result = results[designs[0]]
    evaluation = {
        design: {
            "metrics": {m: r[m] for m in METHODS}, "folds": r["_folds"], "per_department": r["_per_department"],
            "estimate_check": r["_estimate_check"],
        }
        for design, r in results.items()
    }
    final = add_neighbours(data, np.ones(len(data), dtype=bool)) if ff.uses_neighbours else data
    X = final[ff.numeric].to_numpy(dtype="float64")
    y = data[TARGET].to_numpy(dtype="float64")
    w = data[WEIGHT].to_numpy(dtype="float64")
    fit = keras_model.fit_ensemble(
        X, data[DEPARTMENT].to_numpy().astype(str), y, w, sampling_variance(y, w), config=config
    )
    name = f"{target}/{level}/{target_year}-{timezone.now():%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}.keras"
    relative = keras_model.save_model(fit.model, name)
    seconds = round(time.perf_counter() - started, 2)
    log(render(LOG_FINAL, {"epochs": fit.epochs, "tau": fit.tau, "path": relative, "seconds": seconds}))
    hyper = {
        **config.as_dict(), "tau": fit.tau, "final_epochs": fit.epochs, "n_splits": n_splits,
        "feature_years": list(feature_years) if feature_years else None, "min_sample_size": min_sample_size,
        "numeric_inputs": ff.numeric, "inputs": list(ff.inputs), "folds": result["_folds"],
        "designs": designs,
    }
    return _register(
        indicator=indicator, level=level, target_year=target_year, features=ff.features,
        fingerprint=ff.fingerprint, n_rows=len(data), hyper=hyper,
        metrics=result["keras"], baselines={b: result[b] for b in BASELINES}, evaluation=evaluation,
        seconds=seconds, relative=relative, user=user, log=log,
    )


@transaction.atomic
def _register(*, indicator, level, target_year, features, fingerprint, n_rows, hyper, metrics,
              baselines, evaluation, seconds, relative, user, log) -> ModelVersion:
    """The registry rule: the new version becomes active only if its CV weighted MAE
    beats the active version's; otherwise it stays a candidate."""
    active = (
        ModelVersion.objects.select_for_update()
        .filter(target=indicator, level=level, status=ModelStatus.ACTIVE).first()
    )
    version = ModelVersion(
        target=indicator, level=level, target_year=target_year, features=features,
        fingerprint=fingerprint, n_rows=n_rows, hyperparameters=hyper, metrics=metrics,
        baselines=baselines, evaluation=evaluation, training_seconds=seconds, file_path=relative, trained_by=user,
        status=ModelStatus.CANDIDATE,
    )
    version.full_clean()
    version.save()
    if active is None or metrics["wmae"] < (active.wmae if active.wmae is not None else np.inf):
        if active is not None:
            active.status = ModelStatus.RETIRED
            active.save(update_fields=["status"])
        version.status = ModelStatus.ACTIVE
        version.promoted_at = timezone.now()
        version.save(update_fields=["status", "promoted_at"])
        log(render(LOG_ACTIVE, {"version": version.pk, "wmae": metrics["wmae"]}))
    else:
        log(render(LOG_CANDIDATE, {"version": version.pk, "wmae": metrics["wmae"], "active": active.pk,
                                   "active_wmae": active.wmae}))
    return version


@transaction.atomic
def model_version_promote(*, version: ModelVersion, user=None) -> ModelVersion:
    """Make a candidate the active version by hand (recorded), retiring the active one."""
    version = ModelVersion.objects.select_for_update().get(pk=version.pk)
    if version.status == ModelStatus.ACTIVE:
        raise ValueError(MSG_ALREADY_ACTIVE % {"id": version.pk})
    if version.status == ModelStatus.RETIRED:
        raise ValueError(MSG_RETIRED % {"id": version.pk})
    ModelVersion.objects.select_for_update().filter(
        target=version.target, level=version.level, status=ModelStatus.ACTIVE
    ).update(status=ModelStatus.RETIRED)
    version.status = ModelStatus.ACTIVE
    version.promoted_by = user
    version.promoted_at = timezone.now()
    version.save(update_fields=["status", "promoted_by", "promoted_at"])
    return version
