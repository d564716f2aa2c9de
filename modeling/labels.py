"""The labels the modeling app shows for its codes: one table each, used by the admin,
the reports, the API's display fields and the stored messages (``modeling/messages.py``)."""
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from interventions.choices import Level

__all__ = ["DESIGN_NAMES", "METHOD_LABELS", "catalogue_entry_name", "design_name", "level_label", "method_label"]

# Every method of the cross-validation (modeling/services/evaluation.py: METHODS).
METHOD_LABELS = {
    "keras": _("Neural network (Keras)"),
    "mean": _("Weighted mean (no inputs)"),
    "ridge_poverty": _("Ridge regression (poverty only)"),
    "ridge_all": _("Ridge regression (all inputs)"),
    "gradient_boosting": _("Gradient boosting"),
    "random_forest": _("Random forest"),
}

# The two cross-validation designs, named in running text (logs).
DESIGN_NAMES = {
    "department": _("department-grouped CV"),
    "province": _("province-grouped CV"),
}


def method_label(code) -> str:
    """A method's label in the active language; an unknown code as it is."""
    return str(METHOD_LABELS.get(code, code))


def design_name(code) -> str:
    return str(DESIGN_NAMES.get(code, code))


def level_label(level) -> str:
    """A level's label (``department`` → «departamento»); an unknown value as it is."""
    try:
        return str(Level(level).label)
    except ValueError:
        return str(level)


def catalogue_entry_name(entry: dict) -> str:
    """The name of an entry of a plan's catalogue (``Plan.catalogue``) in the active language:
    entries keep ``name_es`` and ``name_en`` beside the ``name`` read when the plan was computed."""
    language = (get_language() or "es").split("-")[0]
    return entry.get(f"name_{language}") or entry.get("name_es") or entry.get("name") or entry.get("code", "")
