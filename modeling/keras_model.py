"""The Keras tabular regressor: an ensemble of small towers sharing their preprocessing.

TensorFlow and Keras are imported inside functions only: importing this module costs
nothing, and nothing here runs at Django start-up (django-q2 forks its workers, and TF
state created in the parent hangs the children).

The saved model takes raw inputs: ``numeric`` (features with NaN where missing, then the
missing flags) and ``department`` (the two-digit UBIGEO prefix as a string). Inside it:
an imputer for NaN, ``Normalization`` adapted on the training rows, ``StringLookup`` and
an ``Embedding`` for the department, and ``members`` independent towers whose outputs
form the ensemble (shape ``(rows, members)``), rescaled to the target's units.

The default loss is Huber on the standardized target (δ = 0.5 standard deviations): the
evaluation metric is a weighted MAE, and a few districts with extreme rates (small
facilities, 0% or 100%) pull a squared loss far more than they should.
"""
import os
import threading
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
from django.conf import settings
from django.utils.translation import gettext_lazy as _

__all__ = [
    "TrainConfig",
    "FAST_CONFIG",
    "TARGET_LOSS",
    "default_config",
    "Z80",
    "fit_ensemble",
    "predict_members",
    "save_model",
    "load_cached",
    "clear_cache",
    "model_root",
]

Z80 = 1.2815515655446004  # standard normal quantile 0.9: a central 80% interval is ±Z80·σ
UNKNOWN_DEPARTMENT = "__unknown__"
MSG_OUTSIDE_ROOT = _("Refusing to load %(path)s: model files are only read from %(root)s.")
MSG_NOT_KERAS = _("Refusing to load %(path)s: only .keras files written by this platform are loaded.")
MSG_MISSING_FILE = _("The model file %(path)s does not exist.")
MSG_UNKNOWN_LOSS = _("Unknown training loss “%(loss)s”: use “mse” or “huber”.")
LOSSES = ("mse", "huber")


@dataclass(frozen=True)
class TrainConfig:
    members: int = 5
    hidden: tuple[int, ...] = (64, 32)
    embedding_dim: int = 3
    epochs: int = 250
    batch_size: int = 128
    patience: int = 30
    learning_rate: float = 3e-3
    l2: float = 1e-3
    validation_share: float = 0.15
    unknown_department_share: float = 0.15
    seed: int = 2024
    baseline_trees: int = 300  # trees of the gradient-boosting and random-forest baselines
    # Training weights are sample sizes to this power: 1 weighs by sample size exactly,
    # 0.5 keeps a few very large districts from drowning the others.
    weight_power: float = 0.5
    loss: str = "huber"  # "huber" (δ in standard deviations of the target) or "mse"
    huber_delta: float = 0.5
    # Chosen by department-grouped CV on the real 2022 district stunting data (docs/modeling.md).
    dropout: float = 0.1

    def as_dict(self):
        return {**asdict(self), "hidden": list(self.hidden)}

    @classmethod
    def from_dict(cls, data):
        known = {k: v for k, v in (data or {}).items() if k in cls.__dataclass_fields__}
        if "hidden" in known:
            known["hidden"] = tuple(known["hidden"])
        return cls(**known)


# Small and quick: for tests and trials.
FAST_CONFIG = TrainConfig(members=3, hidden=(16, 8), epochs=40, batch_size=64, patience=8, learning_rate=1e-2)

# The training loss per target, chosen by the department-grouped CV on the real 2022
# district data (docs/modeling.md, "Loss per target"); other targets use TrainConfig.loss.
TARGET_LOSS = {"stunting_u5_pct": "mse", "anaemia_6_35m_pct": "huber"}


def default_config(target: str | None = None, *, fast: bool = False) -> TrainConfig:
    """The configuration a training of ``target`` starts from: the defaults (or
    FAST_CONFIG) with the target's loss. Explicit settings are laid over it by the caller."""
    base = FAST_CONFIG if fast else TrainConfig()
    loss = TARGET_LOSS.get(target)
    return replace(base, loss=loss) if loss else base

_setup_lock = threading.Lock()
_ready = False


def _keras():
    """Import TensorFlow and Keras once per process, with threads bounded for 2 cores."""
    global _ready
    with _setup_lock:
        if not _ready:
            os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
            os.environ.setdefault("KERAS_BACKEND", "tensorflow")
            import tensorflow as tf

            threads = int(os.environ.get("HEALTHPLANNER_TF_THREADS", "2"))
            try:
                tf.config.threading.set_intra_op_parallelism_threads(threads)
                tf.config.threading.set_inter_op_parallelism_threads(1)
            except RuntimeError:
                pass  # the runtime was already initialised by someone else
            _register_layers()
            _ready = True
    import keras

    return keras


_LAYERS = {}


def _register_layers():
    import keras
    from keras import ops

    @keras.saving.register_keras_serializable(package="healthplanner")
    class Imputer(keras.layers.Layer):
        """Replaces NaN in each column by the training median stored in the model."""

        def __init__(self, fill_values, **kwargs):
            super().__init__(**kwargs)
            self.fill_values = [float(v) for v in fill_values]

        def call(self, inputs):
            fill = ops.convert_to_tensor(self.fill_values, dtype=inputs.dtype)
            return ops.where(ops.isnan(inputs), fill, inputs)

        def get_config(self):
            return {**super().get_config(), "fill_values": self.fill_values}

    _LAYERS["Imputer"] = Imputer


@dataclass
class FitResult:
    model: object
    tau: float  # residual standard deviation beyond sampling noise, target units
    epochs: int
    history: dict = field(default_factory=dict)


def _build(keras, numeric, departments, fill_values, config, y_mean, y_std):
    from keras import layers

    n_features = numeric.shape[1]
    num_in = keras.Input(shape=(n_features,), name="numeric", dtype="float32")
    dep_in = keras.Input(shape=(1,), name="department", dtype="string")
    x = _LAYERS["Imputer"](fill_values, name="impute")(num_in)
    imputed = np.where(np.isnan(numeric), np.asarray(fill_values, dtype="float32"), numeric).astype("float64")
    # Normalization with the training rows' statistics (what adapt() computes, without a tf.data pass).
    x = layers.Normalization(
        mean=imputed.mean(axis=0).tolist(), variance=np.maximum(imputed.var(axis=0), 1e-12).tolist(),
        name="normalize",
    )(x)
    vocabulary = sorted(set(departments) - {UNKNOWN_DEPARTMENT})
    lookup = layers.StringLookup(vocabulary=vocabulary, num_oov_indices=1, name="department_lookup")
    e = layers.Embedding(len(vocabulary) + 1, config.embedding_dim, name="department_embedding")(lookup(dep_in))
    h = layers.Concatenate(name="inputs")([x, layers.Flatten()(e)])
    outputs = []
    for m in range(config.members):
        t = h
        for i, units in enumerate(config.hidden):
            t = layers.Dense(
                units, activation="relu", kernel_regularizer=keras.regularizers.l2(config.l2),
                name=f"m{m}_dense{i}",
            )(t)
            if config.dropout:
                t = layers.Dropout(config.dropout, name=f"m{m}_dropout{i}")(t)
        # Wide and deep: a linear path beside the tower, so a linear signal is learnt easily.
        outputs.append(layers.Add(name=f"m{m}_sum")([
            layers.Dense(1, name=f"m{m}_out")(t), layers.Dense(1, name=f"m{m}_linear")(h)
        ]))
    standardized = outputs[0] if len(outputs) == 1 else layers.Concatenate(name="members")(outputs)
    scaled = layers.Rescaling(scale=float(y_std), offset=float(y_mean), name="to_target_units")(standardized)
    training_model = keras.Model([num_in, dep_in], standardized, name="ensemble_standardized")
    serving_model = keras.Model({"numeric": num_in, "department": dep_in}, scaled, name="ensemble")
    return training_model, serving_model


def _strings(values):
    """Keras cannot take numpy string arrays: hand it a TensorFlow string tensor."""
    import tensorflow as tf

    return tf.constant(np.asarray(values).astype(str).reshape(-1, 1))


def _inputs(numeric, departments):
    return {"numeric": np.asarray(numeric, dtype="float32"), "department": _strings(departments)}


def fit_ensemble(numeric, departments, y, weights, sampling_var, *, config: TrainConfig) -> FitResult:
    """Train the ensemble on raw numeric inputs (NaN allowed) and department codes.

    ``weights`` are sample weights (sample sizes); ``sampling_var`` the binomial sampling
    variance of each observed value, used to separate model error from survey noise.
    """
    if config.loss not in LOSSES:
        raise ValueError(MSG_UNKNOWN_LOSS % {"loss": config.loss})
    keras = _keras()
    keras.utils.set_random_seed(config.seed)
    numeric = np.asarray(numeric, dtype="float32")
    departments = np.asarray(departments).astype(str).astype(object)
    y = np.asarray(y, dtype="float64")
    weights = np.asarray(weights, dtype="float64")
    rng = np.random.default_rng(config.seed)
    n = len(y)
    groups = np.unique(departments)
    if len(groups) >= 6:
        # Hold out whole departments for early stopping and the interval, as the CV does:
        # the error that matters is the one on places the model has not seen.
        k = max(1, int(round(len(groups) * config.validation_share)))
        held = set(rng.permutation(groups)[:k])
        is_val = np.array([d in held for d in departments])
        val_idx, train_idx = np.flatnonzero(is_val), np.flatnonzero(~is_val)
    else:
        order = rng.permutation(n)
        n_val = int(round(n * config.validation_share)) if n >= 20 else 0
        val_idx, train_idx = np.sort(order[:n_val]), np.sort(order[n_val:])
    n_val = len(val_idx)
    fill = np.nanmedian(numeric[train_idx], axis=0)
    fill = np.where(np.isnan(fill), 0.0, fill)
    w_mean = np.average(y[train_idx], weights=weights[train_idx])
    y_std = float(np.sqrt(np.average((y[train_idx] - w_mean) ** 2, weights=weights[train_idx]))) or 1.0
    # Some rows see their department as unknown, so the model learns what to do for a
    # department it has never seen (grouped CV and new departments).
    train_deps = departments.copy()
    mask = rng.random(n) < config.unknown_department_share
    train_deps[mask] = UNKNOWN_DEPARTMENT
    training_model, serving_model = _build(
        keras, numeric[train_idx], departments[train_idx], fill, config, w_mean, y_std
    )
    loss = keras.losses.Huber(delta=config.huber_delta) if config.loss == "huber" else "mse"
    training_model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=config.learning_rate), loss=loss, jit_compile=False
    )
    y_std_units = ((y - w_mean) / y_std).astype("float32")
    target = np.repeat(y_std_units[:, None], config.members, axis=1)
    powered = np.power(weights, config.weight_power)
    sw = (powered / powered[train_idx].mean()).astype("float32")
    fit_kwargs = {}
    callbacks = []
    if n_val:
        fit_kwargs["validation_data"] = (
            [numeric[val_idx], _strings(train_deps[val_idx])], target[val_idx], sw[val_idx]
        )
        callbacks.append(keras.callbacks.EarlyStopping(
            monitor="val_loss", patience=config.patience, restore_best_weights=True
        ))
    history = training_model.fit(
        [numeric[train_idx], _strings(train_deps[train_idx])], target[train_idx],
        sample_weight=sw[train_idx], epochs=config.epochs, batch_size=config.batch_size,
        shuffle=True, verbose=0, callbacks=callbacks, **fit_kwargs,
    )
    check_idx = val_idx if n_val else train_idx
    members = predict_members(serving_model, numeric[check_idx], departments[check_idx])
    residual = y[check_idx] - members.mean(axis=1)
    # τ: the smallest extra spread that puts 80% of the validation values inside
    # mean ± Z80·sqrt(ensemble variance + τ² + sampling variance).
    needed = (residual / Z80) ** 2 - members.var(axis=1) - sampling_var[check_idx]
    tau = float(np.sqrt(max(float(np.quantile(needed, 0.8)), 0.0)))
    return FitResult(
        model=serving_model, tau=tau, epochs=len(history.history.get("loss", [])),
        history={k: [float(v) for v in vals[-3:]] for k, vals in history.history.items()},
    )


def predict_members(model, numeric, departments) -> np.ndarray:
    """Every member's prediction, shape (rows, members); one batched call, no per-row predict."""
    if len(numeric) == 0:
        return np.zeros((0, 1))
    out = model.predict_on_batch(_inputs(numeric, np.asarray(departments).astype(str)))
    out = np.asarray(out, dtype="float64")
    return out.reshape(len(numeric), -1)


def model_root() -> Path:
    return Path(settings.MODEL_FILES_ROOT).resolve()


def save_model(model, relative_name: str) -> str:
    """Save under MODEL_FILES_ROOT; returns the path relative to it."""
    _keras()
    root = model_root()
    path = (root / relative_name).resolve()
    if not path.is_relative_to(root):
        raise ValueError(MSG_OUTSIDE_ROOT % {"path": path, "root": root})
    path.parent.mkdir(parents=True, exist_ok=True)
    model.save(path)
    return str(path.relative_to(root))


_cache: dict[tuple[int, str], object] = {}
_cache_lock = threading.Lock()


def resolve_model_path(relative_name: str) -> Path:
    root = model_root()
    path = (root / relative_name).resolve()
    if not path.is_relative_to(root):
        raise ValueError(MSG_OUTSIDE_ROOT % {"path": path, "root": root})
    if path.suffix != ".keras":
        raise ValueError(MSG_NOT_KERAS % {"path": path})
    if not path.is_file():
        raise FileNotFoundError(MSG_MISSING_FILE % {"path": path})
    return path


def load_cached(version_id: int, relative_name: str):
    """The model of a version, loaded on first use and kept for this process."""
    key = (version_id, relative_name)
    with _cache_lock:
        if key not in _cache:
            path = resolve_model_path(relative_name)
            keras = _keras()
            _cache[key] = keras.saving.load_model(path, safe_mode=True)
        return _cache[key]


def clear_cache():
    with _cache_lock:
        _cache.clear()
