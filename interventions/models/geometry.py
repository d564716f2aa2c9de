"""A community's shape: a GeoJSON (RFC 7946) Polygon or MultiPolygon, checked before it is
stored (the admin, the API and the boundaries importer use ``geometry_error``)."""
import math

from django.utils.translation import gettext_lazy as _

__all__ = [
    "MSG_GEOMETRY_TYPE",
    "MSG_GEOMETRY_LIST",
    "MSG_GEOMETRY_POSITION",
    "MSG_GEOMETRY_RANGE",
    "MSG_GEOMETRY_SHORT_RING",
    "MSG_GEOMETRY_OPEN_RING",
    "geometry_error",
]

MSG_GEOMETRY_TYPE = _("The shape must be a GeoJSON object whose type is Polygon or MultiPolygon, "
                      "with its coordinates.")
MSG_GEOMETRY_LIST = _("The shape's %(where)s must be a non-empty list.")
MSG_GEOMETRY_POSITION = _("The shape's %(where)s is not a position: use [longitude, latitude] in numbers.")
MSG_GEOMETRY_RANGE = _("The shape's %(where)s is outside the Earth: longitude goes from -180 to 180, "
                       "latitude from -90 to 90.")
MSG_GEOMETRY_SHORT_RING = _("The shape's ring %(where)s has fewer than 4 positions: a ring needs at least 4, "
                            "the last one equal to the first.")
MSG_GEOMETRY_OPEN_RING = _("The shape's ring %(where)s is not closed: its last position must equal its first.")


def _where(path) -> str:
    return "coordinates" + "".join(f"[{i}]" for i in path)


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _ring_error(ring, path):
    if not isinstance(ring, list) or not ring:
        return MSG_GEOMETRY_LIST % {"where": _where(path)}
    for index, position in enumerate(ring):
        where = _where((*path, index))
        if not isinstance(position, list) or not 2 <= len(position) <= 3 or not all(map(_number, position)):
            return MSG_GEOMETRY_POSITION % {"where": where}
        if not (-180 <= position[0] <= 180 and -90 <= position[1] <= 90):
            return MSG_GEOMETRY_RANGE % {"where": where}
    if len(ring) < 4:
        return MSG_GEOMETRY_SHORT_RING % {"where": _where(path)}
    if ring[0] != ring[-1]:
        return MSG_GEOMETRY_OPEN_RING % {"where": _where(path)}
    return None


def _polygon_error(rings, path):
    if not isinstance(rings, list) or not rings:
        return MSG_GEOMETRY_LIST % {"where": _where(path)}
    for index, ring in enumerate(rings):
        error = _ring_error(ring, (*path, index))
        if error:
            return error
    return None


def geometry_error(geometry):
    """Why ``geometry`` is not a usable shape (a translated message), or None when it is one
    (or there is none). Polygon: a list of linear rings; MultiPolygon: a list of those; a ring:
    at least 4 positions, closed; a position: 2 or 3 finite numbers, longitude then latitude."""
    if geometry is None:
        return None
    if not isinstance(geometry, dict) or geometry.get("type") not in ("Polygon", "MultiPolygon"):
        return MSG_GEOMETRY_TYPE
    coordinates = geometry.get("coordinates")
    if geometry["type"] == "Polygon":
        return _polygon_error(coordinates, ())
    if not isinstance(coordinates, list) or not coordinates:
        return MSG_GEOMETRY_LIST % {"where": _where(())}
    for index, polygon in enumerate(coordinates):
        error = _polygon_error(polygon, (index,))
        if error:
            return error
    return None
