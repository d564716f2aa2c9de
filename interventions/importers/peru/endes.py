"""ENDES 2009–2025 by department: stunting and anaemia for Peru and each department,
with the children measured as sample size."""
from __future__ import annotations

import numpy as np
import pandas as pd
from django.utils.translation import gettext_lazy as _

from ...choices import NATIONAL_CODE
from .. import messages as M
from ..base import Adapter, Context, ImportPlan
from ..cells import parse_numbers
from ..reading import InputFile, Table
from .common import read_table, values_frame

__all__ = ["EndesAdapter"]


class EndesAdapter(Adapter):
    name = "endes-departments"
    value_source = "endes"
    files = ("health/ENDES_REGIONES_2009_2025.xlsx",)
    description = _("ENDES 2009–2025: stunting (under 5) and anaemia (6–35 months) for Peru and each "
                    "department, area Total, with the children measured as sample size.")

    SHEET = "Base_series"

    def plan(self, file: InputFile, context: Context) -> ImportPlan:
        label = f"{file.name} ({self.SHEET})"
        table = read_table(file, "año", "region_codigo", "area", sheet=self.SHEET, label=label)
        c_year, c_region, c_area = table.find("año", "anio"), table.find("region_codigo"), table.find("area")
        c_stunt, c_n_stunt = table.find("dci_menores5_pct"), table.find("n_dci")
        c_anaemia, c_n_anaemia = table.find("anemia_6_35_comparable_pct"), table.find("n_anemia_comparable")
        areas = table.frame[c_area].astype(str).str.strip()
        for row in areas.index[~areas.str.lower().isin(["total", "urbano", "rural"])]:
            table.error(row, c_area, M.MSG_UNKNOWN_AREA % {"text": areas[row]})
        total = Table(file=label, frame=table.frame[areas.str.lower() == "total"], header_row=table.header_row,
                      decimal=table.decimal, errors=table.errors)
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
