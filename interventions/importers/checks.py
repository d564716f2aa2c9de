"""The checks every plan's values pass before anything is written: indicator codes known
(or created with ``--create-indicators``), values within their indicator's range,
intervals around their value, plausible years, no key twice."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..models import Indicator
from . import messages as M
from .reading import MAX_ERRORS_KEPT, CellError

__all__ = ["Rejected", "check_values"]


class Rejected(Exception):
    """The checks (or the community writer) refused the plan: ``errors`` says why."""

    def __init__(self, errors, rejected_rows=None):
        super().__init__("rejected")
        self.errors = errors
        self.rejected_rows = rejected_rows


def check_values(values: pd.DataFrame, *, context, file_name) -> pd.DataFrame:
    """Indicator codes known, values within their indicator's range, intervals around
    their value, no key twice. Raises Rejected with every problem found."""
    errors: list[CellError] = []
    frame = values.copy()
    indicators = context.indicators
    unknown = sorted(set(frame["indicator"]) - set(indicators))
    if unknown and context.create_indicators:
        unknown = _create_indicators(frame, unknown, context=context, file_name=file_name)
        indicators = context.indicators
    if unknown:
        known = ", ".join(sorted(indicators)) or "—"
        for code in unknown:
            first = frame[frame["indicator"] == code].iloc[0]
            errors.append(CellError(file_name, int(first["_row"]), first.get("_indicator_column") or first["_column"],
                                    str(M.MSG_UNKNOWN_INDICATOR % {"code": code, "known": known})))
        raise Rejected(errors)
    frame["indicator_id"] = frame["indicator"].map({c: i.id for c, i in indicators.items()})
    for col in ("lower", "upper", "sample_size"):
        if col not in frame:
            frame[col] = np.nan
    rejected = pd.Series(False, index=frame.index)
    for code, group in frame.groupby("indicator", sort=False):
        ind = indicators[code]
        low = -np.inf if ind.min_value is None else ind.min_value
        high = np.inf if ind.max_value is None else ind.max_value
        bad = (group["value"] < low) | (group["value"] > high)
        rejected.loc[bad.index[bad]] = True
        for row in group[bad].head(MAX_ERRORS_KEPT).to_dict("records"):
            value = f"{row['value']:g}"
            if ind.unit == "%" and ind.min_value == 0 and ind.max_value == 100:
                problem = M.MSG_PERCENT_RANGE % {"value": value}
            elif ind.min_value == 0 and row["value"] < 0:
                problem = M.MSG_NEGATIVE % {"value": value}
            else:
                problem = M.MSG_OUT_OF_RANGE % {
                    "value": value, "indicator": ind.code,
                    "min": "−∞" if ind.min_value is None else f"{ind.min_value:g}",
                    "max": "∞" if ind.max_value is None else f"{ind.max_value:g}", "unit": ind.unit}
            errors.append(CellError(file_name, int(row["_row"]), row["_column"], str(problem)))
    outside = (frame["lower"].notna() & (frame["lower"] > frame["value"])) | (
        frame["upper"].notna() & (frame["upper"] < frame["value"]))
    negative_n = frame["sample_size"].notna() & (frame["sample_size"] < 0)
    bad_year = (frame["year"] < 1900) | (frame["year"] > 2100)
    rejected |= outside | negative_n | bad_year
    for row in frame[outside].head(MAX_ERRORS_KEPT).to_dict("records"):
        errors.append(CellError(file_name, int(row["_row"]), row.get("_interval_column") or row["_column"], str(
            M.MSG_INTERVAL % {"lower": _fmt(row["lower"]), "upper": _fmt(row["upper"]), "value": _fmt(row["value"])})))
    for row in frame[negative_n].head(MAX_ERRORS_KEPT).to_dict("records"):
        errors.append(CellError(file_name, int(row["_row"]), row.get("_sample_column") or row["_column"],
                                str(M.MSG_NEGATIVE % {"value": _fmt(row["sample_size"])})))
    for row in frame[bad_year].head(MAX_ERRORS_KEPT).to_dict("records"):
        errors.append(CellError(file_name, int(row["_row"]), row.get("_year_column") or row["_column"],
                                str(M.MSG_NOT_A_YEAR % {"text": _fmt(row["year"])})))
    keys = ["community_id", "indicator_id", "year"]
    dup = frame.duplicated(keys, keep=False)
    if dup.any():
        firsts = frame[dup].groupby(keys, sort=False)["_row"].transform("min")
        first_rows = frame[dup].groupby(keys, sort=False)["_row"].transform("min").reindex(frame.index)
        rejected |= dup & (frame["_row"] != first_rows)
        for row, first in zip(frame[dup].head(MAX_ERRORS_KEPT * 2).to_dict("records"), firsts, strict=False):
            if row["_row"] != first:
                errors.append(CellError(file_name, int(row["_row"]), row.get("_key_column") or row["_column"], str(
                    M.MSG_DUPLICATE % {"what": M.KEY_WHAT, "first": int(first)})))
    if errors:
        errors.sort(key=lambda e: (e.row or 0, e.column or ""))
        raise Rejected(errors, rejected_rows=int(frame.loc[rejected, "_row"].nunique()))
    return frame


def _create_indicators(frame, codes, *, context, file_name) -> list[str]:
    """Create the indicators ``codes`` (``--create-indicators``); returns the codes
    that are not valid indicator codes."""
    import re

    from ..choices import Direction, IndicatorCategory
    from ..models import SLUG_REGEX

    invalid = []
    for code in codes:
        if not re.match(SLUG_REGEX, str(code)) or len(str(code)) > 64:
            invalid.append(code)
            continue
        Indicator.objects.create(code=code, name=code, unit="", category=IndicatorCategory.HEALTH,
                                 direction=Direction.NEUTRAL, min_value=None, max_value=None,
                                 description=str(M.CREATED_BY_IMPORT % {"file": file_name}))
    context.refresh_indicators()
    if invalid:
        errors = []
        for code in invalid:
            first = frame[frame["indicator"] == code].iloc[0]
            errors.append(CellError(file_name, int(first["_row"]), first.get("_indicator_column") or first["_column"],
                                    str(M.MSG_BAD_INDICATOR_CODE % {"code": code})))
        raise Rejected(errors)
    return []


def _fmt(value) -> str:
    return "" if value is None or (isinstance(value, float) and np.isnan(value)) else f"{value:g}"
