"""Shared helpers for the modeling tests: a tiny, quick training configuration, and a
training trained once per test session for the modules that only need a trained model."""
import contextlib
import copy
import hashlib

import numpy as np
import pandas as pd

TINY_CONFIG = {"members": 2, "hidden": [8], "epochs": 12, "patience": 4, "batch_size": 64,
               "learning_rate": 0.02, "seed": 11, "baseline_trees": 40}
TRAIN_PARAMS = {"target": "stunting_u5_pct", "level": "district", "year": 2022, "n_splits": 3,
                "config": TINY_CONFIG}


def assert_reach_invariant(plan):
    """Every line of a computed plan: at least one beneficiary, and no more cases averted
    than effect × the upper bound of the estimated prevalence × the children it reaches
    (docs/modeling.md, "Impact on the cohort reached")."""
    from modeling.models import CommunityScore

    upper = {c: (e if e is not None else u) for c, e, u in CommunityScore.objects.filter(
        version=plan.model_version_id).values_list("community_id", "estimate_upper", "upper")}
    lines = list(plan.items.select_related("intervention_type"))
    assert lines, "the plan has no lines"
    broken = []
    for line in lines:
        bound = line.intervention_type.effect_relative * upper[line.community_id] / 100.0 * line.children_reached
        if not (line.beneficiaries >= 1 and line.children_reached > 0 and line.cases_averted <= bound * (1 + 1e-9)
                and line.cases_averted_upper <= bound * (1 + 1e-9)):
            broken.append((line.rank, line.community_id, line.intervention_type.code, line.beneficiaries,
                           line.children_reached, line.cases_averted, bound))
    assert not broken, f"{len(broken)} of {len(lines)} lines break the reach invariant: {broken[:5]}"
    return len(lines)


# --- one training per session ------------------------------------------------------------
# Many modules (admin, API, reports, Spanish content, Grafana) need a trained, scored model
# of the small demo and test what is shown of it, not the training. ``shared_training``
# lets them run the real task (``run_now``: the claim, the log, the registry rule, the file
# saved and activated) while the two costly computations — the cross-validation of every
# method and the final ensemble's fit — are computed for real the first time and reused
# when a later module asks for exactly the same inputs (same frame, rows, configuration).
# The pipeline, training and real-data tests train without it.
_EVALUATIONS: dict[str, tuple[dict, list[str]]] = {}
_FITS: dict[str, object] = {}


def _digest(*parts) -> str:
    digest = hashlib.sha256()
    for part in parts:
        if isinstance(part, pd.DataFrame):
            digest.update("|".join(map(str, part.columns)).encode())
            digest.update(pd.util.hash_pandas_object(part, index=True).to_numpy().tobytes())
        elif isinstance(part, np.ndarray):
            digest.update(str(part.dtype).encode() + str(part.shape).encode())
            digest.update(np.ascontiguousarray(part).tobytes())
        else:
            digest.update(repr(part).encode())
        digest.update(b"\x1e")
    return digest.hexdigest()


@contextlib.contextmanager
def shared_training():
    from modeling import keras_model
    from modeling.services import training

    real_evaluate, real_fit = training.evaluate, keras_model.fit_ensemble

    def evaluate(ff, *, config, n_splits=5, data=None, log=None, design="department"):
        rows = ff.labelled if data is None else data
        key = _digest(ff.fingerprint, list(ff.numeric), rows, sorted(config.as_dict().items()), n_splits, design)
        if key not in _EVALUATIONS:
            lines = []

            def record(line):
                lines.append(line)
                if log is not None:
                    log(line)

            _EVALUATIONS[key] = (real_evaluate(ff, config=config, n_splits=n_splits, data=data, log=record,
                                               design=design), lines)
        elif log is not None:
            for line in _EVALUATIONS[key][1]:  # the same log lines as the evaluation wrote
                log(line)
        return copy.deepcopy(_EVALUATIONS[key][0])

    def fit_ensemble(numeric, departments, y, weights, sampling_var, *, config):
        key = _digest(numeric, np.asarray(departments).astype(str), y, weights, sampling_var,
                      sorted(config.as_dict().items()))
        if key not in _FITS:
            _FITS[key] = real_fit(numeric, departments, y, weights, sampling_var, config=config)
        return _FITS[key]

    training.evaluate, keras_model.fit_ensemble = evaluate, fit_ensemble
    try:
        yield
    finally:
        training.evaluate, keras_model.fit_ensemble = real_evaluate, real_fit
