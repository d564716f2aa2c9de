"""What-if predictions: one community's predicted burden, with its 80% interval, when
some of its indicator inputs take other values — from the same frame and model the
scores come from."""
import math

from django.utils.translation import gettext_lazy as _

from ..features import MISSING_SUFFIX, NEIGHBOUR_COLUMNS, TARGET, add_neighbours, build_frame
from ..labels import level_label
from ..models import ModelStatus, ModelVersion

__all__ = ["MSG_NO_ACTIVE_MODEL_AT_LEVEL", "MSG_SEVERAL_ACTIVE", "active_version_for", "prediction_what_if"]

MSG_NO_ACTIVE_MODEL_AT_LEVEL = _("There is no active model for %(target)s at the %(level)s level: train one first.")
MSG_SEVERAL_ACTIVE = _("Several models are active at the %(level)s level (%(targets)s): choose one with target.")


class NoActiveModel(Exception):
    pass


class AmbiguousTarget(Exception):
    pass


def active_version_for(*, community, target=None) -> ModelVersion:
    """The active model version at the community's level (for ``target`` if given).
    Raises NoActiveModel or AmbiguousTarget with the message to show."""
    versions = ModelVersion.objects.filter(status=ModelStatus.ACTIVE, level=community.level).select_related("target")
    if target is not None:
        versions = versions.filter(target=target)
    versions = list(versions[:10])
    if not versions:
        raise NoActiveModel(MSG_NO_ACTIVE_MODEL_AT_LEVEL % {
            "target": target.code if target is not None else _("any indicator"), "level": level_label(community.level)})
    if len(versions) > 1:
        raise AmbiguousTarget(MSG_SEVERAL_ACTIVE % {
            "level": level_label(community.level), "targets": ", ".join(sorted(v.target.code for v in versions))})
    return versions[0]


def _burden(values):
    predicted, lower, upper = (float(a[0]) for a in values)
    return {"predicted": predicted, "lower": lower, "upper": upper}


def _uses_neighbours(inputs) -> bool:
    return any(c in inputs for c in NEIGHBOUR_COLUMNS)


def prediction_what_if(*, version: ModelVersion, community, changes: dict[str, float]) -> dict:
    """The version's prediction for ``community`` in its scoring year, with the latest
    measured inputs (baseline) and with ``changes`` applied (what_if). ``changes`` must
    name inputs of the version (the caller checks)."""
    from .scoring import predict_frame, score_year

    year = score_year(version)
    inputs = tuple(version.hyperparameters.get("inputs") or ())
    ff = build_frame(
        target=version.target.code, level=version.level, target_year=year, features=version.features,
        region=None if _uses_neighbours(inputs) else community.code, inputs=inputs,
    )
    frame = ff.frame
    if ff.uses_neighbours:  # neighbours come from every measured community, as in scoring
        frame = add_neighbours(frame, frame[TARGET].notna().to_numpy())
    frame = frame.loc[[community.code]]
    changed = frame.copy()
    for code, value in changes.items():
        changed[code] = float(value)
        changed[f"{code}{MISSING_SUFFIX}"] = 0.0
    baseline = _burden(predict_frame(version, frame))
    what_if = _burden(predict_frame(version, changed))
    row = changed.iloc[0]
    return {
        "community": community.code, "community_name": community.name, "target": version.target.code,
        "model_version": version.pk, "year": year, "baseline": baseline, "what_if": what_if,
        "change": what_if["predicted"] - baseline["predicted"],
        "inputs": {f: (None if math.isnan(row[f]) else float(row[f])) for f in version.features},
        "changed": sorted(changes),
    }
