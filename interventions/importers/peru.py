"""Built-in adapters for the public Peruvian files laid out like ``../shared/data/peru/``
(see its README for each file's layout and traps)."""
from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
from django.utils.translation import gettext_lazy as _

from ..choices import NATIONAL_CODE, Level
from . import messages as M
from .base import Adapter, Context, ImportPlan
from .reading import (
    CellError,
    FileProblem,
    InputFile,
    Table,
    check_text,
    find_header_row,
    header_text,
    parse_numbers,
    read_grid,
    table_from_grid,
)
from .ubigeo import normalise_code, normalise_codes, read_crosswalk

__all__ = [
    "UbigeoAdapter",
    "BoundariesAdapter",
    "PovertyAdapter",
    "CensusAdapter",
    "EndesAdapter",
    "SienAdapter",
    "PERU_ADAPTERS",
    "LOAD_ORDER",
]

CROSSWALK_FILE = "ubigeo/cambios-2007-2026.csv"
LAT_RANGE = (-20.0, 1.0)
LON_RANGE = (-82.0, -68.0)


def values_frame(table: Table, ids: pd.Series, *, indicator: str, year, value: pd.Series, column: str,
                 lower=None, upper=None, sample_size=None, sample_column=None, key_column=None) -> pd.DataFrame:
    """One value per row of ``table`` where the code and the value are present."""
    frame = pd.DataFrame({
        "community_id": ids,
        "indicator": indicator,
        "year": year,
        "value": value,
        "lower": np.nan if lower is None else lower,
        "upper": np.nan if upper is None else upper,
        "sample_size": np.nan if sample_size is None else sample_size,
        "_row": table.frame.index,
        "_column": column,
        "_sample_column": sample_column or column,
        "_key_column": key_column or column,
    }, index=table.frame.index)
    return frame[frame["community_id"].notna() & frame["value"].notna()]


def _ids(codes: pd.Series, context: Context) -> pd.Series:
    return codes.map(context.communities)


def _in_range(table: Table, series: pd.Series, column: str, low: float, high: float):
    for row, value in series[(series < low) | (series > high)].items():
        table.error(row, column, M.MSG_COORDINATE % {"value": f"{value:g}", "min": f"{low:g}", "max": f"{high:g}"})


def _positive(table: Table, series: pd.Series, column: str, *, allow_zero=True):
    bad = series < 0 if allow_zero else series <= 0
    for row, value in series[bad].items():
        table.error(row, column, M.MSG_NEGATIVE % {"value": f"{value:g}"})


def _duplicates(table: Table, codes: pd.Series, column: str):
    present = codes.dropna()
    dup = present.duplicated(keep=False)
    if dup.any():
        first_rows = {}
        for row, code in present[dup].items():
            if code in first_rows:
                table.error(row, column, M.MSG_DUPLICATE % {"what": M.KEY_WHAT_CODE, "first": first_rows[code]})
            else:
                first_rows[code] = row


def _none(value):
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    return value


# --- ubigeo --------------------------------------------------------------------------

class UbigeoAdapter(Adapter):
    name = "ubigeo"
    value_source = "inei-ubigeo"
    files = ("ubigeo/geodir-ubigeo-inei.csv",)
    description = _("Communities (departments, provinces, districts) with names, centroid, area, "
                    "population; altitude from the ubigeo_*.csv files beside it.")

    def plan(self, file: InputFile, context: Context) -> ImportPlan:
        grid, decimal = read_grid(file)
        header = find_header_row(grid, file.name, "Ubigeo", "Distrito")
        table = table_from_grid(grid, file.name, header_row=header, decimal=decimal)
        c_code = table.find("Ubigeo")
        c_dist, c_prov, c_dep = table.find("Distrito"), table.find("Provincia"), table.find("Departamento")
        c_pop = table.find("Poblacion", "Población")
        c_area = table.find("Superficie", required=False)
        c_lat = table.find("Y", "latitude", "latitud", required=False)
        c_lon = table.find("X", "longitude", "longitud", required=False)
        codes = normalise_codes(table, c_code, level=Level.DISTRICT)
        _duplicates(table, codes, c_code)
        names = check_text(table, c_dist)
        prov_names = check_text(table, c_prov)
        dep_names = check_text(table, c_dep)
        population = parse_numbers(table, c_pop, whole=True)
        _positive(table, population, c_pop)
        area = parse_numbers(table, c_area, required=False) if c_area else None
        if area is not None:
            _positive(table, area, c_area, allow_zero=False)
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
        rows = {}
        totals = {}
        for row in table.frame.index:
            code = codes[row]
            pop = int(population[row])
            for target in (code[:2], code[:4], NATIONAL_CODE):
                totals[target] = totals.get(target, 0) + pop
            extra = companions.get(code, {})
            rows[code] = {
                "code": code, "name": names[row], "population": pop,
                "altitude_m": extra.get("altitude_m"),
                "latitude": _none(lat[row]) if lat is not None else extra.get("latitude"),
                "longitude": _none(lon[row]) if lon is not None else extra.get("longitude"),
                "area_km2": _none(area[row]) if area is not None else extra.get("area_km2"),
                "_row": row, "_column": c_code,
            }
            for parent, name in ((code[:2], dep_names[row]), (code[:4], prov_names[row])):
                if parent not in rows:
                    extra = companions.get(parent, {})
                    rows[parent] = {"code": parent, "name": name, "altitude_m": extra.get("altitude_m"),
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


# --- boundaries ----------------------------------------------------------------------

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
        try:
            doc = json.loads(file.data.decode("utf-8-sig"))
            features = doc["features"]
        except (UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
            message = str(M.MSG_NOT_JSON % {"detail": type(exc).__name__})
            raise FileProblem(CellError(file.name, None, None, message)) from None
        if not features:
            raise FileProblem(CellError(file.name, None, None, str(M.MSG_EMPTY_FILE)))
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


# --- poverty map 2018 ----------------------------------------------------------------

class PovertyAdapter(Adapter):
    name = "poverty-2018"
    value_source = "inei-poverty-2018"
    files = ("poverty/Mapa_Pobreza_2018.xlsx",)
    description = _("INEI poverty map 2018: poverty_pct per district with its 95 percent interval.")

    def plan(self, file: InputFile, context: Context) -> ImportPlan:
        grid, decimal = read_grid(file)
        header = find_header_row(grid, file.name, "Ubigeo", "Pobreza Monetaria")
        table = table_from_grid(grid, file.name, header_row=header, decimal=decimal)
        c_code = table.find("Ubigeo")
        c_value = table.find("Pobreza Monetaria")
        c_low = table.find("Intervalo de confianza al 95% INFERIOR", required=False)
        c_high = table.find("Intervalo de confianza al 95% SUPERIOR", required=False)
        codes = normalise_codes(table, c_code, known=context.communities, level=Level.DISTRICT)
        _duplicates(table, codes, c_code)
        value = parse_numbers(table, c_value)
        low = parse_numbers(table, c_low, required=False) if c_low else None
        high = parse_numbers(table, c_high, required=False) if c_high else None
        plan = ImportPlan(rows_read=len(table.frame), errors=table.errors)
        if not table.errors:
            plan.values = values_frame(table, _ids(codes, context), indicator="poverty_pct", year=2018, value=value,
                                       column=c_value, lower=low, upper=high, key_column=c_code)
        return plan


# --- census 2017 ---------------------------------------------------------------------

# file stem (upper case) -> (indicator, numerator column prefixes, is a share)
CENSUS_TABLES = {
    "C2P6": ("water_public_network_pct", ["Red pública dentro de la vivienda", "Red pública fuera de la vivienda",
                                          "Pilón o pileta de uso público"], True),
    "C2P10": ("sewer_public_network_pct", ["Red pública de desagüe dentro", "Red pública de desagüe fuera"], True),
    "C2P11": ("electricity_pct", ["Si tiene alumbrado eléctrico"], True),
    "C3P15": ("firewood_cooking_pct", ["Si usa leña"], True),
    "C5P81": ("sis_affiliation_pct", ["Si afiliado al SIS"], True),
    "PENCARE": ("urban_pct", ["Urbano de encuesta"], True),
    "C5P2": ("population", ["Hombre", "Mujer"], False),
    "EDQUINQ": ("population_0_4", ["De 0 a 4 años"], False),
}


class CensusAdapter(Adapter):
    name = "census-2017"
    value_source = "inei-census-2017"
    files = tuple(
        f"census2017/{stem}.xlsx"
        for stem in ("C2p6", "C2P10", "C2P11", "C3P15", "C5P81", "PENCARE", "C5P2", "EDQUINQ")
    )
    description = _("INEI census 2017 REDATAM tables: district shares (0–100) and counts; provinces, "
                    "departments and Peru get the aggregates of their districts.")

    def plan(self, file: InputFile, context: Context) -> ImportPlan:
        stem = re.sub(r"\.[^.]+$", "", file.name).upper()
        if stem not in CENSUS_TABLES:
            raise FileProblem(CellError(file.name, None, None, str(M.MSG_UNKNOWN_FILE % {
                "source": self.name, "expected": ", ".join(f.split("/")[-1] for f in self.files)})))
        indicator, numerator_names, is_share = CENSUS_TABLES[stem]
        grid, decimal = read_grid(file)
        header = find_header_row(grid, file.name, "Código", "Distrito")
        table = table_from_grid(grid, file.name, header_row=header, decimal=decimal)
        c_code = table.find("Código", "Codigo")
        c_name = table.find("Distrito")
        categories = [c for c in table.frame.columns if c not in (c_code, c_name) and not c.startswith("column ")]
        numerators = [table.find(n) for n in numerator_names]
        raw_codes = table.frame[c_code]
        is_total = raw_codes.astype(str).str.strip().str.upper().eq("TOTAL")
        total_row = int(raw_codes[is_total].index[0]) if is_total.any() else None
        body_rows = raw_codes.index[raw_codes.notna() & ~is_total]
        district_table = Table(file=table.file, frame=table.frame.loc[body_rows], header_row=header, decimal=decimal,
                               errors=table.errors)
        codes = normalise_codes(district_table, c_code, known=context.communities, level=Level.DISTRICT)
        _duplicates(district_table, codes, c_code)
        counts = {c: parse_numbers(district_table, c, whole=True) for c in categories}
        for c, series in counts.items():
            _positive(district_table, series, c)
        plan = ImportPlan(rows_read=len(body_rows), errors=district_table.errors)
        if plan.errors:
            return plan
        denominator = sum(counts[c] for c in categories)
        numerator = sum(counts[c] for c in numerators)
        if total_row is not None:
            total_table = Table(file=table.file, frame=table.frame.loc[[total_row]], header_row=header, decimal=decimal)
            file_total = sum(
                parse_numbers(total_table, c, whole=True, required=False).fillna(0).iloc[0] for c in categories
            )
            if not total_table.errors and int(file_total) != int(denominator.sum()):
                plan.errors.append(CellError(file.name, total_row, c_code, str(M.MSG_TOTAL_MISMATCH % {
                    "sum": f"{int(denominator.sum()):,}", "total": f"{int(file_total):,}"})))
                return plan
            plan.notes["file_total"] = int(file_total)
        frame = pd.DataFrame({"code": codes, "num": numerator, "den": denominator, "_row": body_rows})
        aggregate_row = total_row or int(body_rows[-1])
        parts = [frame]
        for width in (4, 2):
            agg = frame.assign(code=frame["code"].str[:width]).groupby("code", as_index=False)[["num", "den"]].sum()
            parts.append(agg.assign(_row=aggregate_row))
        parts.append(pd.DataFrame({"code": [NATIONAL_CODE], "num": [frame["num"].sum()], "den": [frame["den"].sum()],
                                   "_row": [aggregate_row]}))
        rows = pd.concat(parts, ignore_index=True)
        unknown = sorted(set(rows["code"]) - set(context.communities))
        rows = rows[~rows["code"].isin(unknown)]
        if is_share:
            rows = rows[rows["den"] > 0]
            value = (100.0 * rows["num"] / rows["den"]).round(2)
        else:
            value = rows["num"].astype(float)
        plan.values = pd.DataFrame({
            "community_id": rows["code"].map(context.communities).to_numpy(),
            "indicator": indicator, "year": 2017, "value": value.to_numpy(),
            "lower": np.nan, "upper": np.nan, "sample_size": np.nan,
            "_row": rows["_row"].to_numpy(), "_column": numerators[0], "_key_column": c_code,
        })
        plan.notes.update({"indicator": indicator, "aggregates_without_community": unknown})
        return plan


# --- ENDES by department ------------------------------------------------------------

class EndesAdapter(Adapter):
    name = "endes-departments"
    value_source = "endes"
    files = ("health/ENDES_REGIONES_2009_2025.xlsx",)
    description = _("ENDES 2009–2025: stunting (under 5) and anaemia (6–35 months) for Peru and each "
                    "department, area Total, with the children measured as sample size.")

    SHEET = "Base_series"

    def plan(self, file: InputFile, context: Context) -> ImportPlan:
        grid, decimal = read_grid(file, sheet=self.SHEET)
        header = find_header_row(grid, file.name, "año", "region_codigo", "area")
        label = f"{file.name} ({self.SHEET})"
        table = table_from_grid(grid, label, header_row=header, decimal=decimal)
        c_year, c_region, c_area = table.find("año", "anio"), table.find("region_codigo"), table.find("area")
        c_stunt, c_n_stunt = table.find("dci_menores5_pct"), table.find("n_dci")
        c_anaemia, c_n_anaemia = table.find("anemia_6_35_comparable_pct"), table.find("n_anemia_comparable")
        areas = table.frame[c_area].astype(str).str.strip()
        for row in areas.index[~areas.str.lower().isin(["total", "urbano", "rural"])]:
            table.error(row, c_area, M.MSG_UNKNOWN_AREA % {"text": areas[row]})
        total = Table(file=label, frame=table.frame[areas.str.lower() == "total"], header_row=header,
                      decimal=decimal, errors=table.errors)
        region = parse_numbers(total, c_region, whole=True)
        year = parse_numbers(total, c_year, whole=True)
        codes = region.map(lambda r: None if np.isnan(r) else (NATIONAL_CODE if r == 0 else f"{int(r):02d}"))
        for row, code in codes.items():
            if code is not None and code not in context.communities:
                total.error(row, c_region, M.MSG_UNKNOWN_UBIGEO % {"code": code})
        stunting = parse_numbers(total, c_stunt, required=False)
        n_stunting = parse_numbers(total, c_n_stunt, whole=True, required=False)
        anaemia = parse_numbers(total, c_anaemia, required=False)
        n_anaemia = parse_numbers(total, c_n_anaemia, whole=True, required=False)
        plan = ImportPlan(rows_read=len(table.frame), errors=total.errors)
        if plan.errors:
            return plan
        ids = codes.map(context.communities)
        plan.values = pd.concat([
            values_frame(total, ids, indicator="stunting_u5_pct", year=year, value=stunting, column=c_stunt,
                         sample_size=n_stunting, sample_column=c_n_stunt, key_column=c_region),
            values_frame(total, ids, indicator="anaemia_6_35m_pct", year=year, value=anaemia, column=c_anaemia,
                         sample_size=n_anaemia, sample_column=c_n_anaemia, key_column=c_region),
        ])
        return plan


# --- SIEN-HIS 2022 by district --------------------------------------------------------

def stacked_header_table(grid: pd.DataFrame, file: str, *, top: int, depth: int, decimal=".") -> Table:
    """A header spread over ``depth`` rows with merged cells: names joined with " / "
    (merged cells carry their text to the right)."""
    names = []
    carried = [""] * depth
    for col in grid.columns:
        parts = []
        for level in range(depth):
            text = header_text(grid.at[top + level, col])
            if text:
                carried[level] = text
                for lower in range(level + 1, depth):
                    carried[lower] = ""
            elif level == 0 and not any(header_text(grid.at[top + k, col]) for k in range(1, depth)):
                carried[0] = ""
            parts.append(text or (carried[level] if level < depth - 1 else ""))
        names.append(" / ".join(p for p in parts if p))
    flat = grid.copy()
    flat.loc[top + depth - 1] = names
    return table_from_grid(flat.loc[top + depth - 1:], file, header_row=top + depth - 1, decimal=decimal)


class SienAdapter(Adapter):
    name = "sien-2022"
    value_source = "minsa-sien-2022"
    files = ("health/INS_Indicadores_Ninos_2022_HIS-MINSA.xlsx",)
    description = _("MINSA/INS SIEN-HIS 2022 by district: stunting (0–59 months) and anaemia (6–35 "
                    "months) with the children evaluated as sample size.")

    # sheet, indicator, header depth, value column, sample column (prefixes of the stacked names)
    SHEETS = (
        ("EN 0-59m x DISTRITO", "stunting_u5_pct", 3,
         "INDICADOR TALLA / EDAD1 / DESNUTRICIÓN CRÓNICA / %", "INDICADOR TALLA / EDAD1 / N° DE EVALUADOS"),
        ("Anemia 6-35m x DISTRITO", "anaemia_6_35m_pct", 2, "ANEMIA TOTAL / %", "N° DE EVALUADOS"),
    )

    def plan(self, file: InputFile, context: Context) -> ImportPlan:
        plan = ImportPlan(errors=[])
        frames = []
        for sheet, indicator, depth, value_name, sample_name in self.SHEETS:
            grid, decimal = read_grid(file, sheet=sheet)
            top = find_header_row(grid, file.name, "UBIGEO", "DISTRITO")
            label = f"{file.name} ({sheet})"
            table = stacked_header_table(grid, label, top=top, depth=depth, decimal=decimal)
            c_code = table.find("UBIGEO")
            c_value, c_n = table.find(value_name), table.find(sample_name)
            body = Table(file=label, frame=table.frame[table.frame[c_code].notna()], header_row=table.header_row,
                         decimal=decimal)
            codes = normalise_codes(body, c_code, known=context.communities, level=Level.DISTRICT)
            _duplicates(body, codes, c_code)
            value = parse_numbers(body, c_value, required=False)
            n = parse_numbers(body, c_n, whole=True, required=False)
            plan.rows_read += len(body.frame)
            plan.errors.extend(body.errors)
            if not body.errors:
                frames.append(values_frame(body, _ids(codes, context), indicator=indicator, year=2022, value=value,
                                           column=c_value, sample_size=n, sample_column=c_n, key_column=c_code))
        if not plan.errors:
            plan.values = pd.concat(frames)
        return plan


PERU_ADAPTERS = {a.name: a for a in (UbigeoAdapter(), BoundariesAdapter(), PovertyAdapter(), CensusAdapter(),
                                     EndesAdapter(), SienAdapter())}
LOAD_ORDER = ("ubigeo", "boundaries", "poverty-2018", "census-2017", "endes-departments", "sien-2022")

