"""The communities: departments, provinces and districts from INEI's ubigeo table, with
altitude (and centroid, area) from the ``ubigeo_*.csv`` files beside it."""
from __future__ import annotations

import unicodedata

import numpy as np
import pandas as pd
from django.utils.translation import gettext_lazy as _

from ...choices import DEPARTMENT_NAMES, NATIONAL_CODE, Level
from .. import messages as M
from ..base import Adapter, Context, ImportPlan
from ..cells import check_text, parse_numbers
from ..reading import InputFile, Table
from ..ubigeo import normalise_code, normalise_codes
from .common import check_duplicates, check_positive, read_table

__all__ = ["UbigeoAdapter", "LAT_RANGE", "LON_RANGE", "CENSUS_NAMES_FILE", "with_accents"]

# The census table whose "Departamento, Provincia, distrito de Distrito" labels keep the
# accents that the UBIGEO table drops (Asuncion → Asunción).
CENSUS_NAMES_FILE = "census2017/C5P2.xlsx"

LAT_RANGE = (-20.0, 1.0)
LON_RANGE = (-82.0, -68.0)


def _in_range(table: Table, series: pd.Series, column: str, low: float, high: float):
    for row, value in series[(series < low) | (series > high)].items():
        table.error(row, column, M.MSG_COORDINATE % {"value": f"{value:g}", "min": f"{low:g}", "max": f"{high:g}"})


def _bare(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def with_accents(name: str, official: str | None) -> str:
    """``official`` where it is ``name`` with its accents (the same letters in the same case
    once accents are dropped), else ``name``: accents are restored, a name never changes."""
    if official and official != name and _bare(official) == _bare(name):
        return official
    return name


def _none(value):
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    return value


class UbigeoAdapter(Adapter):
    name = "ubigeo"
    value_source = "inei-ubigeo"
    files = ("ubigeo/geodir-ubigeo-inei.csv",)
    description = _("Communities (departments, provinces, districts) with names, centroid, area, "
                    "population; altitude from the ubigeo_*.csv files beside it.")

    def plan(self, file: InputFile, context: Context) -> ImportPlan:
        table = read_table(file, "Ubigeo", "Distrito")
        c_code = table.find("Ubigeo")
        c_dist, c_prov, c_dep = table.find("Distrito"), table.find("Provincia"), table.find("Departamento")
        c_pop = table.find("Poblacion", "Población")
        c_area = table.find("Superficie", required=False)
        c_lat = table.find("Y", "latitude", "latitud", required=False)
        c_lon = table.find("X", "longitude", "longitud", required=False)
        codes = normalise_codes(table, c_code, level=Level.DISTRICT)
        check_duplicates(table, codes, c_code)
        names = check_text(table, c_dist)
        prov_names = check_text(table, c_prov)
        dep_names = check_text(table, c_dep)
        population = parse_numbers(table, c_pop, whole=True)
        check_positive(table, population, c_pop)
        area = parse_numbers(table, c_area, required=False) if c_area else None
        if area is not None:
            check_positive(table, area, c_area, allow_zero=False)
        lat = parse_numbers(table, c_lat, required=False) if c_lat else None
        lon = parse_numbers(table, c_lon, required=False) if c_lon else None
        if lat is not None:
            _in_range(table, lat, c_lat, *LAT_RANGE)
        if lon is not None:
            _in_range(table, lon, c_lon, *LON_RANGE)
        plan = ImportPlan(rows_read=len(table.frame), errors=table.errors)
        if table.errors:
            return plan
        companions = self._companions(file)
        accented = {**self._census_names(file), **DEPARTMENT_NAMES}
        rows = {}
        totals = {}
        for row in table.frame.index:
            code = codes[row]
            pop = int(population[row])
            for target in (code[:2], code[:4], NATIONAL_CODE):
                totals[target] = totals.get(target, 0) + pop
            extra = companions.get(code, {})
            rows[code] = {
                "code": code, "name": with_accents(names[row], accented.get(code)), "population": pop,
                "altitude_m": extra.get("altitude_m"),
                "latitude": _none(lat[row]) if lat is not None else extra.get("latitude"),
                "longitude": _none(lon[row]) if lon is not None else extra.get("longitude"),
                "area_km2": _none(area[row]) if area is not None else extra.get("area_km2"),
                "_row": row, "_column": c_code,
            }
            for parent, name in ((code[:2], dep_names[row]), (code[:4], prov_names[row])):
                if parent not in rows:
                    extra = companions.get(parent, {})
                    rows[parent] = {"code": parent, "name": with_accents(name, accented.get(parent)),
                                    "altitude_m": extra.get("altitude_m"),
                                    "latitude": extra.get("latitude"), "longitude": extra.get("longitude"),
                                    "area_km2": extra.get("area_km2"), "_row": row, "_column": c_code}
        rows[NATIONAL_CODE] = {"code": NATIONAL_CODE, "name": "Perú", "altitude_m": None,
                               "latitude": None, "longitude": None, "area_km2": None, "_row": None, "_column": None}
        for code, total in totals.items():
            rows[code]["population"] = total
        if all(rows[c].get("area_km2") for c in rows if len(c) == 6):
            for code in rows:
                prefix = "" if code == NATIONAL_CODE else code
                if len(code) in (2, 4) and rows[code].get("area_km2") is None:
                    rows[code]["area_km2"] = round(sum(r["area_km2"] for c, r in rows.items()
                                                       if len(c) == 6 and c.startswith(prefix)), 2)
        plan.communities = list(rows.values())
        plan.notes = {"departments": sum(len(c) == 2 for c in rows), "provinces": sum(len(c) == 4 for c in rows),
                      "districts": sum(len(c) == 6 for c in rows),
                      "companions": sorted(companions.get("_files", []))}
        return plan

    @staticmethod
    def _census_names(file: InputFile) -> dict[str, str]:
        """Province and district names with their accents, by code, from the census table
        beside the file (``CENSUS_NAMES_FILE``); empty where it is absent or unreadable."""
        sibling = file.sibling(CENSUS_NAMES_FILE)
        if sibling is None:
            return {}
        try:
            frame = pd.read_excel(pd.io.common.BytesIO(sibling.data), header=None, dtype=object)
        except (ValueError, OSError, KeyError):
            return {}
        out = {}
        for raw_code, label in zip(frame.iloc[:, 1], frame.iloc[:, 2], strict=True):
            code = normalise_code(raw_code)
            parts = str(label).split(", ", 2)
            if code is None or len(code) != 6 or len(parts) != 3 or not parts[2].startswith("distrito de "):
                continue
            out[code] = parts[2].removeprefix("distrito de ").strip()
            out.setdefault(code[:4], parts[1].strip())
        return out

    @staticmethod
    def _companions(file: InputFile) -> dict:
        """Altitude (and centroid, area) from ``ubigeo_departamento/provincia/distrito.csv``
        when they sit beside the file; absent files are simply skipped."""
        out = {"_files": []}
        for level_file in ("ubigeo_departamento.csv", "ubigeo_provincia.csv", "ubigeo_distrito.csv"):
            relpath = f"ubigeo/{level_file}"
            sibling = file.sibling(relpath)
            if sibling is None:
                continue
            try:
                frame = pd.read_csv(pd.io.common.BytesIO(sibling.data), dtype=str, encoding="utf-8-sig")
            except (ValueError, UnicodeDecodeError):
                continue
            out["_files"].append(level_file)
            for rec in frame.to_dict("records"):
                code = normalise_code(rec.get("inei"))
                if code is None:
                    continue
                entry = {}
                for key, column in (("altitude_m", "altitude"), ("latitude", "latitude"),
                                    ("longitude", "longitude"), ("area_km2", "superficie")):
                    try:
                        value = float(str(rec.get(column)).replace(",", ""))
                    except (TypeError, ValueError):
                        continue
                    if np.isnan(value):
                        continue
                    entry[key] = int(round(value)) if key == "altitude_m" else value
                if not (LAT_RANGE[0] <= entry.get("latitude", -10) <= LAT_RANGE[1]):
                    entry.pop("latitude", None)
                if not (LON_RANGE[0] <= entry.get("longitude", -75) <= LON_RANGE[1]):
                    entry.pop("longitude", None)
                out[code] = entry
        return out
