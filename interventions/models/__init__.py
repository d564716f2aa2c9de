"""Domain models: communities, indicators and their values, the intervention catalogue,
partners and their interventions, and the record of every import.

One module per topic; every public name is re-exported here, so ``from
interventions.models import X`` is the import to use (migrations and other apps included).
"""
from .catalogue import InterventionType
from .geometry import geometry_error
from .imports import ImportBatch, source_validator
from .indicators import (
    MSG_INTERVAL_ORDER,
    MSG_RANGE_ORDER,
    MSG_VALUE_OUT_OF_RANGE,
    SLUG_REGEX,
    Indicator,
    IndicatorValue,
    slug_validator,
)
from .partners import MSG_END_BEFORE_START, MSG_NEGATIVE_BUDGET, Intervention, Partner, PartnerMember
from .places import (
    MSG_BAD_UBIGEO,
    MSG_BAD_UBIGEO_FIELD,
    MSG_DEPARTMENT_ZERO,
    MSG_PARENT_MISSING,
    MSG_WRONG_PARENT,
    UBIGEO_REGEX,
    Community,
    level_for_code,
    parent_code_for,
    ubigeo_validator,
)

__all__ = [
    # shapes
    "geometry_error",
    # places
    "UBIGEO_REGEX",
    "MSG_BAD_UBIGEO",
    "MSG_BAD_UBIGEO_FIELD",
    "MSG_DEPARTMENT_ZERO",
    "MSG_PARENT_MISSING",
    "MSG_WRONG_PARENT",
    "ubigeo_validator",
    "level_for_code",
    "parent_code_for",
    "Community",
    # indicators
    "SLUG_REGEX",
    "MSG_VALUE_OUT_OF_RANGE",
    "MSG_INTERVAL_ORDER",
    "MSG_RANGE_ORDER",
    "slug_validator",
    "Indicator",
    "IndicatorValue",
    # imports
    "source_validator",
    "ImportBatch",
    # catalogue
    "InterventionType",
    # partners
    "MSG_END_BEFORE_START",
    "MSG_NEGATIVE_BUDGET",
    "Partner",
    "PartnerMember",
    "Intervention",
]
