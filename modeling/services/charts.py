"""Charts drawn on the server as inline SVG (they print, and need no internet): the
districts of a region coloured by a plan's allocation, from the boundaries stored on each
community (GeoJSON), and the budget curve."""
from __future__ import annotations

import math
from decimal import Decimal

from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext

from healthplanner import formatting as fmt
from interventions.choices import Level
from interventions.models import Community

__all__ = ["MAP_COLOURS", "NO_ALLOCATION_COLOUR", "allocation_map_svg", "budget_curve_svg"]

# A sequential palette (ColorBrewer Blues, 5 classes): more money, darker.
MAP_COLOURS = ("#c6dbef", "#9ecae1", "#6baed6", "#3182bd", "#08519c")
NO_ALLOCATION_COLOUR = "#f0f0f0"
MARKER_DEGREES = 0.03  # half the side of the square drawn where a district has no shape


def _rings(geometry) -> list[list]:
    if not isinstance(geometry, dict):
        return []
    if geometry.get("type") == "Polygon":
        return list(geometry.get("coordinates") or [])
    if geometry.get("type") == "MultiPolygon":
        return [ring for polygon in geometry.get("coordinates") or [] for ring in polygon]
    return []


def _shape(district) -> list[list[tuple[float, float]]]:
    """The district's rings as (lon, lat); a small square at its centroid when it has no
    shape but a position; nothing when it has neither."""
    rings = [[(float(p[0]), float(p[1])) for p in ring if len(p) >= 2] for ring in _rings(district.geometry)]
    rings = [ring for ring in rings if len(ring) >= 3]
    if rings:
        return rings
    if district.latitude is not None and district.longitude is not None:
        x, y, d = district.longitude, district.latitude, MARKER_DEGREES
        return [[(x - d, y - d), (x + d, y - d), (x + d, y + d), (x - d, y + d)]]
    return []


def _classes(amounts: list[Decimal]) -> list[Decimal]:
    """Upper bounds of five classes of equal counts (quantiles) of the positive amounts."""
    values = sorted(a for a in amounts if a > 0)
    if not values:
        return []
    return [values[min(len(values) - 1, math.ceil(len(values) * k / 5) - 1)] for k in range(1, 6)]


def _colour(amount, bounds) -> str:
    if not amount or amount <= 0:
        return NO_ALLOCATION_COLOUR
    for colour, bound in zip(MAP_COLOURS, bounds, strict=True):
        if amount <= bound:
            return colour
    return MAP_COLOURS[-1]


def allocation_map_svg(*, region, allocation: dict, width: int = 640, height: int = 520) -> str:
    """One ``<path>`` per district of ``region`` (the whole country when None), filled by the
    money the plan gives it (``allocation``: community id → soles); a legend of the five
    classes. Equirectangular, longitudes shortened by the cosine of the mean latitude."""
    districts = Community.objects.filter(level=Level.DISTRICT).order_by("code")
    if region is not None:
        districts = districts.filter(code__startswith=region.code)
    shapes = [(d, _shape(d)) for d in districts.only("id", "code", "name", "geometry", "latitude", "longitude")]
    drawn = [(d, rings) for d, rings in shapes if rings]
    missing = len(shapes) - len(drawn)
    if not drawn:
        return format_html('<p class="report-map-empty">{}</p>', gettext("No district of this region has a boundary "
                                                                   "or a position to draw."))
    xs = [x for _d, rings in drawn for ring in rings for x, _y in ring]
    ys = [y for _d, rings in drawn for ring in rings for _x, y in ring]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    aspect = math.cos(math.radians((y0 + y1) / 2))
    legend_h, pad = 52, 8
    scale = min((width - 2 * pad) / (((x1 - x0) * aspect) or 1e-9), (height - legend_h - 2 * pad) / ((y1 - y0) or 1e-9))

    def point(x, y):
        return f"{pad + (x - x0) * aspect * scale:.1f},{pad + (y1 - y) * scale:.1f}"

    bounds = _classes(list(allocation.values()))
    paths = []
    for district, rings in drawn:
        parts = []
        for ring in rings:
            points = []
            for x, y in ring:
                p = point(x, y)
                if not points or points[-1] != p:
                    points.append(p)
            parts.append("M" + "L".join(points) + "Z")
        amount = allocation.get(district.pk, Decimal("0"))
        paths.append((district.code, _colour(amount, bounds), "".join(parts),
                      f"{district.code} {district.name}: {fmt.amount_pen(amount)}"))
    body = format_html_join("", '<path data-code="{}" fill="{}" d="{}"><title>{}</title></path>', paths)
    legend_items = [(NO_ALLOCATION_COLOUR, gettext("nothing"))]
    low = Decimal("0")
    for colour, bound in zip(MAP_COLOURS, bounds, strict=False):
        legend_items.append((colour, f"{fmt.amount_pen(low)} – {fmt.amount_pen(bound)}"))
        low = bound
    column = (width - 2 * pad) // 3
    legend = format_html_join("", '<g transform="translate({},{})"><rect width="12" height="12" fill="{}" '
                                  'stroke="#999"/><text x="16" y="10" font-size="10">{}</text></g>',
                              ((pad + (i % 3) * column, height - legend_h + (i // 3) * 16, c, label)
                               for i, (c, label) in enumerate(legend_items)))
    note = ""
    if missing:
        note = format_html('<text x="{}" y="{}" font-size="9">{}</text>', pad, height - 6,
                           gettext("%(n)s districts have neither a boundary nor a position and are not drawn.")
                           % {"n": missing})
    return format_html(
        '<svg class="report-map" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" width="{}" height="{}" '
        'role="img" aria-label="{}"><g stroke="#555" stroke-width="0.4" stroke-linejoin="round">{}</g>{}{}</svg>',
        width, height, width, height, gettext("Districts coloured by the plan's allocation"), body, legend,
        note,
    )


def budget_curve_svg(curve, width: int = 480, height: int = 200) -> str:
    """Cases averted against the budget (and the upper bound of their 80 percent interval,
    dashed) at each multiple of the plan's budget; empty when fewer than two points."""
    points = [p for p in curve if p.get("feasible")]
    if len(points) < 2:
        return ""
    xs = [float(p["budget_pen"]) for p in points]
    ys = [float(p["cases_averted"]) for p in points]
    his = [float(p["cases_averted_upper"]) for p in points]
    x0, x1, top = min(xs), max(xs), max(his) or 1.0
    pad = 34

    def xy(x, y):
        return pad + (x - x0) / ((x1 - x0) or 1.0) * (width - 2 * pad), height - pad - y / top * (height - 2 * pad)

    line = " ".join("{:.1f},{:.1f}".format(*xy(x, y)) for x, y in zip(xs, ys, strict=True))
    band = " ".join("{:.1f},{:.1f}".format(*xy(x, y)) for x, y in zip(xs, his, strict=True))
    dots = format_html_join("", '<circle cx="{}" cy="{}" r="3"><title>{}</title></circle>', (
        (f"{xy(x, y)[0]:.1f}", f"{xy(x, y)[1]:.1f}",
         gettext("%(budget)s: %(cases)s cases averted") % {"budget": fmt.amount_pen(x), "cases": fmt.ratio(y)})
        for x, y in zip(xs, ys, strict=True)))
    return format_html(
        '<svg class="budget-curve" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" width="{}" height="{}" '
        'role="img" aria-label="{}"><polyline points="{}" fill="none" stroke="#999" stroke-dasharray="4 3"/>'
        '<polyline points="{}" fill="none" stroke="#08519c" stroke-width="2"/>{}'
        '<text x="{}" y="{}" font-size="10">{}</text><text x="{}" y="{}" font-size="10" text-anchor="end">{}</text>'
        '<text x="4" y="12" font-size="10">{}</text></svg>',
        width, height, width, height, gettext("Cases averted by budget (dashed line: the upper bound of the 80 percent "
                                         "interval)"), band, line, dots,
        pad, height - 10, fmt.amount_pen(x0), width - pad, height - 10, fmt.amount_pen(x1), fmt.ratio(top),
    )
