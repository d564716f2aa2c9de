"""Numbers as people in Peru read them, in one place for every page, report and export
meant for reading: thousands grouped, amounts in soles with two decimals, percentages with
one, ratios with at most three significant digits.

The active language's formats decide the separators (``healthplanner/formats/es``: a
no-break space between thousands and a decimal comma, ``S/ 1 234 567,89``). Grouping is
asked for here, per number (``force_grouping``), rather than with a global
``USE_THOUSAND_SEPARATOR``, which would also group years and ids (``2 022``) in every
admin list. ``healthplanner/templatetags/peru_numbers.py`` offers the same as filters."""
from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils.formats import number_format

__all__ = ["EMPTY", "amount_pen", "number", "percent", "ratio", "share"]

EMPTY = "—"


def _finite(value) -> float | Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    try:
        number_value = float(value)
    except (TypeError, ValueError):
        try:
            return Decimal(str(value))
        except InvalidOperation:
            return None
    return number_value if math.isfinite(number_value) else None


def number(value, decimals: int = 0) -> str:
    """``value`` rounded to ``decimals`` places, thousands grouped: ``39 280,6``."""
    value = _finite(value)
    if value is None:
        return EMPTY
    rounded = Decimal(str(value)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    if rounded == 0:
        rounded = abs(rounded)  # never "-0,0"
    return number_format(rounded, decimals, use_l10n=True, force_grouping=True)


def amount_pen(value) -> str:
    """An amount in soles with two decimals: ``S/ 1 234 567,89``."""
    text = number(value, 2)
    return text if text == EMPTY else f"S/\xa0{text}"


def percent(value, decimals: int = 1) -> str:
    """A value already in percent (0–100) with one decimal: ``30,0 %``."""
    text = number(value, decimals)
    return text if text == EMPTY else f"{text}\xa0%"


def share(value, decimals: int = 1) -> str:
    """A share (0–1) as a percentage with one decimal: 0.4567 → ``45,7 %``."""
    value = _finite(value)
    return EMPTY if value is None else percent(float(value) * 100, decimals)


def ratio(value, digits: int = 3) -> str:
    """A ratio, a score or a metric with at most ``digits`` significant digits:
    0.30812 → ``0,308``; 63.0812 → ``63,1``; 1234.5 → ``1 235`` (never fewer whole digits)."""
    value = _finite(value)
    if value is None:
        return EMPTY
    value = float(value)
    if value == 0:
        return number(0, 0)
    magnitude = math.floor(math.log10(abs(value)))
    decimals = max(digits - 1 - magnitude, 0)
    return _trim_zeros(number(value, decimals), decimals)


def _trim_zeros(text: str, decimals: int) -> str:
    """Drop trailing zeros of the decimals (``0,300`` → ``0,3``) but keep the number whole."""
    if not decimals:
        return text
    body = text.rstrip("0")
    return body[:-1] if not body[-1].isdigit() else body
