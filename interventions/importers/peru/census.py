"""INEI's census 2017 (REDATAM tables, one file per question): district shares and
counts, aggregated to provinces, departments and Peru."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd
from django.utils.translation import gettext_lazy as _

from ...choices import NATIONAL_CODE, Level
from .. import messages as M
from ..base import Adapter, Context, ImportPlan
from ..cells import parse_numbers
from ..reading import CellError, FileProblem, InputFile, Table
from ..ubigeo import normalise_codes
from .common import check_duplicates, check_positive, read_table

__all__ = ["CensusAdapter", "CENSUS_TABLES", "AllBut"]


class AllBut(tuple):
    """A numerator given as every category except these (mother tongue: every native language)."""


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
    "C3P213": ("internet_pct", ["Si tiene conexión a internet"], True),
    "C5P12": ("literacy_pct", ["Si sabe leer y escribir"], True),
    "C5P13NIV": ("secondary_education_pct", [
        "Secundaria", "Superior no universitaria incompleta", "Superior no universitaria completa",
        "Superior universitaria incompleta", "Superior universitaria completa", "Maestría / Doctorado",
    ], True),
    # Native mother tongue: every category but Castellano, foreign languages, sign language,
    # "does not hear or speak" and "does not know"; the denominator is every category.
    "C5P11": ("native_language_pct", AllBut([
        "Castellano", "Portugués", "Otro lengua extranjera", "Otra lengua extranjera", "Lengua de señas",
        "No escucha", "No sabe",
    ]), True),
}


class CensusAdapter(Adapter):
    name = "census-2017"
    value_source = "inei-census-2017"
    files = tuple(
        f"census2017/{stem}.xlsx"
        for stem in ("C2p6", "C2P10", "C2P11", "C3P15", "C5P81", "PENCARE", "C5P2", "EDQUINQ",
                     "C3P213", "C5P12", "C5P13NIV", "C5P11")
    )
    description = _("INEI census 2017 REDATAM tables: district shares (0–100) and counts; provinces, "
                    "departments and Peru get the aggregates of their districts.")

    def plan(self, file: InputFile, context: Context) -> ImportPlan:
        stem = re.sub(r"\.[^.]+$", "", file.name).upper()
        if stem not in CENSUS_TABLES:
            raise FileProblem(CellError(file.name, None, None, str(M.MSG_UNKNOWN_FILE % {
                "source": self.name, "expected": ", ".join(f.split("/")[-1] for f in self.files)})))
        indicator, numerator_names, is_share = CENSUS_TABLES[stem]
        table = read_table(file, "Código", "Distrito")
        c_code = table.find("Código", "Codigo")
        c_name = table.find("Distrito")
        categories = [c for c in table.frame.columns if c not in (c_code, c_name) and not c.startswith("column ")]
        if isinstance(numerator_names, AllBut):
            excluded = {table.find(n, required=False) for n in numerator_names} - {None}
            numerators = [c for c in categories if c not in excluded]
        else:
            numerators = [table.find(n) for n in numerator_names]
        raw_codes = table.frame[c_code]
        is_total = raw_codes.astype(str).str.strip().str.upper().eq("TOTAL")
        total_row = int(raw_codes[is_total].index[0]) if is_total.any() else None
        body_rows = raw_codes.index[raw_codes.notna() & ~is_total]
        district_table = Table(file=table.file, frame=table.frame.loc[body_rows], header_row=table.header_row,
                               decimal=table.decimal, errors=table.errors)
        codes = normalise_codes(district_table, c_code, known=context.communities, level=Level.DISTRICT)
        check_duplicates(district_table, codes, c_code)
        counts = {c: parse_numbers(district_table, c, whole=True) for c in categories}
        for c, series in counts.items():
            check_positive(district_table, series, c)
        plan = ImportPlan(rows_read=len(body_rows), errors=district_table.errors)
        if plan.errors:
            return plan
        denominator = sum(counts[c] for c in categories)
        numerator = sum(counts[c] for c in numerators)
        if total_row is not None:
            total_table = Table(file=table.file, frame=table.frame.loc[[total_row]], header_row=table.header_row,
                                decimal=table.decimal)
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
