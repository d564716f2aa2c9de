"""The shapes: INEI's 2007 GeoJSON limits, merged per community; districts (and
provinces) created since inherit the shape of what contained them, and are flagged."""
from __future__ import annotations

import json

from django.utils.translation import gettext_lazy as _

from ...choices import NATIONAL_CODE, Level
from ...models import geometry_error
from .. import messages as M
from ..base import Adapter, Context, ImportPlan
from ..limits import ImportLimits
from ..reading import CellError, FileProblem, InputFile
from ..ubigeo import normalise_code, read_crosswalk

__all__ = ["BoundariesAdapter", "BOUNDARY_KEYS", "CROSSWALK_FILE"]

CROSSWALK_FILE = "ubigeo/cambios-2007-2026.csv"
BOUNDARY_KEYS = {"FIRST_IDDP": Level.DEPARTMENT, "FIRST_IDPR": Level.PROVINCE, "IDDIST": Level.DISTRICT}


def _polygons(geometry) -> list:
    if not geometry:
        return []
    if geometry.get("type") == "Polygon":
        return [geometry["coordinates"]]
    if geometry.get("type") == "MultiPolygon":
        return list(geometry["coordinates"])
    return []


def _merge(geometries) -> dict:
    parts = [p for g in geometries for p in _polygons(g)]
    if len(parts) == 1:
        return {"type": "Polygon", "coordinates": parts[0]}
    return {"type": "MultiPolygon", "coordinates": parts}


class BoundariesAdapter(Adapter):
    name = "boundaries"
    value_source = "inei-boundaries-2007"
    files = (
        "boundaries/peru_departamental_simple.geojson",
        "boundaries/peru_provincial_simple.geojson",
        "boundaries/peru_distrital_simple.geojson",
    )
    description = _("GeoJSON shapes (INEI 2007 limits); districts created since inherit the shape "
                    "of the 2007 district that contained them, and are flagged.")

    def _features(self, file: InputFile):
        limits = file.limits or ImportLimits.from_settings()
        problem = limits.uncompressed_problem(len(file.data))
        if problem:
            raise FileProblem(CellError(file.name, None, None, problem))
        try:
            doc = json.loads(file.data.decode("utf-8-sig"))
            features = doc["features"]
        except (UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
            message = str(M.MSG_NOT_JSON % {"detail": type(exc).__name__})
            raise FileProblem(CellError(file.name, None, None, message)) from None
        if not features:
            raise FileProblem(CellError(file.name, None, None, str(M.MSG_EMPTY_FILE)))
        problem = limits.shape_problem(len(features), 1, len(features)) if isinstance(features, list) else None
        if problem:
            raise FileProblem(CellError(file.name, None, None, problem))
        return features

    def plan(self, file: InputFile, context: Context) -> ImportPlan:
        features = self._features(file)
        props = features[0].get("properties") or {}
        key = next((k for k in BOUNDARY_KEYS if k in props), None)
        if key is None:
            raise FileProblem(CellError(file.name, None, None, str(
                M.MSG_NO_KEY_PROPERTY % {"row": 1, "column": " / ".join(BOUNDARY_KEYS)})))
        level = BOUNDARY_KEYS[key]
        crosswalk = read_crosswalk(getattr(file.sibling(CROSSWALK_FILE), "data", None))
        known = context.communities
        errors, shapes = [], {}
        for number, feature in enumerate(features, start=1):
            raw = (feature.get("properties") or {}).get(key)
            code = normalise_code(raw)
            if code is not None and code not in known and code in crosswalk.reassigned:
                code = crosswalk.reassigned[code]
            if code is None:
                errors.append(CellError(file.name, number, key, str(M.MSG_BAD_UBIGEO % {"text": raw})))
            elif code not in known:
                errors.append(CellError(file.name, number, key, str(M.MSG_UNKNOWN_UBIGEO % {"code": code})))
            elif (problem := geometry_error(feature.get("geometry"))) is not None:
                errors.append(CellError(file.name, number, "geometry", str(problem)))
            else:
                shapes.setdefault(code, []).append(feature.get("geometry"))
        plan = ImportPlan(rows_read=len(features), errors=errors, community_fields=["geometry", "geometry_inherited"],
                    create_communities=False)
        if errors:
            return plan
        rows = {code: {"code": code, "geometry": _merge(geoms), "geometry_inherited": False}
                for code, geoms in shapes.items()}
        inherited = []
        if level == Level.DISTRICT:
            for code in (c for c in known if len(c) == 6 and c not in rows):
                container = crosswalk.container.get(code)
                container = crosswalk.reassigned.get(container, container)
                if container in rows:
                    rows[code] = {"code": code, "geometry": rows[container]["geometry"], "geometry_inherited": True}
                    inherited.append(code)
        elif level == Level.PROVINCE:
            districts = file.sibling("boundaries/peru_distrital_simple.geojson")
            missing = [c for c in known if len(c) == 4 and c not in rows]
            if districts is not None and missing:
                parts = {}
                for feature in self._features(districts):
                    code = normalise_code((feature.get("properties") or {}).get("IDDIST"))
                    code = crosswalk.reassigned.get(code, code)
                    if code and code[:4] in missing:
                        parts.setdefault(code[:4], []).append(feature.get("geometry"))
                for code, geoms in parts.items():
                    rows[code] = {"code": code, "geometry": _merge(geoms), "geometry_inherited": True}
                    inherited.append(code)
        plan.communities = list(rows.values())
        length = {Level.DEPARTMENT: 2, Level.PROVINCE: 4, Level.DISTRICT: 6}[level]
        same_level = [c for c in known if c != NATIONAL_CODE and len(c) == length]
        plan.notes = {"level": str(level), "shapes": len(shapes), "inherited": sorted(inherited),
                      "without_shape": sorted(set(same_level) - set(rows))}
        return plan
