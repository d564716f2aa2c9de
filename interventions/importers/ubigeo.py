"""UBIGEO codes as files really hold them: numbers that lost their leading zero,
``010000``-style padded department and province codes, and 2007-vintage district codes
that INEI later reassigned (``ubigeo/cambios-2007-2026.csv``)."""
from __future__ import annotations

import io
import re

import numpy as np
import pandas as pd

from ..choices import NATIONAL_CODE, Level
from ..models import level_for_code
from ..models.places import MAX_DEPARTMENT, MSG_NO_SUCH_CODE
from . import messages as M
from .reading import Table

__all__ = ["REASSIGNED_2007", "normalise_code", "normalise_codes", "read_crosswalk", "Crosswalk"]

# The two districts INEI moved to the new province of Putumayo (1608) in 2014: their
# 2007 code → their code today. The full crosswalk file lists them as ``reasignado``.
REASSIGNED_2007 = {"160109": "160801", "160114": "160803"}

_DIGITS = re.compile(r"^\d+$")


def normalise_code(value) -> str | None:
    """A clean INEI code (``PE``, 2, 4 or 6 digits) or None when ``value`` is not one."""
    if value is None:
        return None
    if isinstance(value, (int, np.integer)):
        text = str(int(value))
    elif isinstance(value, (float, np.floating)):
        if np.isnan(value) or value != int(value):
            return None
        text = str(int(value))
    else:
        text = str(value).strip()
        if text.endswith(".0") and _DIGITS.match(text[:-2]):
            text = text[:-2]
    if text.upper() == NATIONAL_CODE:
        return NATIONAL_CODE
    if not _DIGITS.match(text):
        return None
    if len(text) in (1, 3, 5):  # a number that lost its leading zero
        text = "0" + text
    if len(text) == 6 and text.endswith("0000"):
        text = text[:2]
    elif len(text) == 6 and text.endswith("00"):
        text = text[:4]
    if len(text) not in (2, 4, 6) or text.startswith("00"):
        return None

    return text


def normalise_codes(table: Table, column: str, *, known: dict[str, int] | None = None,
                    level: str | None = None, reassigned: dict[str, str] | None = None) -> pd.Series:
    """The column's codes, normalised; errors for bad and (if ``known`` given) unknown codes.

    ``reassigned`` maps 2007-vintage codes to today's (used only when the old code is
    not itself known)."""
    reassigned = REASSIGNED_2007 if reassigned is None else reassigned
    series = table.frame[column]
    # Work on the distinct raw values (a million rows hold a few thousand codes).
    verdicts = {}
    for raw in pd.unique(series.dropna()):
        code = normalise_code(raw)
        text = str(raw).strip()
        if not text:
            verdicts[raw] = (None, M.MSG_EMPTY_CELL)
        elif code is None:
            from .cells import is_formula

            message = M.MSG_FORMULA if is_formula(text) else M.MSG_BAD_UBIGEO
            verdicts[raw] = (None, message % {"text": text})
        else:
            if known is not None and code not in known and code in reassigned:
                code = reassigned[code]
            if known is None and code != NATIONAL_CODE and (
                    int(code[:2]) > MAX_DEPARTMENT or (len(code) == 4 and code.endswith("00"))):
                verdicts[raw] = (None, MSG_NO_SUCH_CODE % {"code": code})
            elif level is not None and level_for_code(code) != level:
                verdicts[raw] = (None, M.MSG_WRONG_LEVEL % {
                    "code": code, "level": Level(level_for_code(code)).label, "expected": Level(level).label})
            elif known is not None and code not in known:
                verdicts[raw] = (None, M.MSG_UNKNOWN_UBIGEO % {"code": code})
            else:
                verdicts[raw] = (code, None)
    codes = series.map({raw: v[0] for raw, v in verdicts.items()})
    if codes.isna().any():
        for row, raw in series[codes.isna()].items():
            empty = raw is None or (isinstance(raw, float) and np.isnan(raw))
            problem = M.MSG_EMPTY_CELL if empty else verdicts[raw][1]
            table.error(row, column, problem)
    return codes.astype(object)


class Crosswalk:
    """District changes since 2007: today's code → the 2007 district that contained it
    (created districts), and 2007 code → today's code (reassigned ones)."""

    def __init__(self, container: dict[str, str], reassigned: dict[str, str]):
        self.container = container
        self.reassigned = reassigned


def read_crosswalk(data: bytes | None) -> Crosswalk:
    if not data:
        return Crosswalk({}, dict(REASSIGNED_2007))
    frame = pd.read_csv(io.BytesIO(data), dtype=str, encoding="utf-8-sig").fillna("")
    frame = frame[frame["nivel"] == "distrito"]
    container, reassigned = {}, dict(REASSIGNED_2007)
    for row in frame.itertuples(index=False):
        if row.tipo == "creado" and row.contenedor_2007:
            container[normalise_code(row.ubigeo_2026)] = normalise_code(row.contenedor_2007)
        elif row.tipo == "reasignado" and row.ubigeo_2007 and row.ubigeo_2026:
            reassigned[normalise_code(row.ubigeo_2007)] = normalise_code(row.ubigeo_2026)
    return Crosswalk(container, reassigned)
