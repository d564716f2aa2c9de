"""INEI's poverty map 2018: the monetary poverty share of every district, with its 95
percent interval."""
from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from ...choices import Level
from ..base import Adapter, Context, ImportPlan
from ..cells import parse_numbers
from ..reading import InputFile
from ..ubigeo import normalise_codes
from .common import check_duplicates, community_ids, read_table, values_frame

__all__ = ["PovertyAdapter"]


class PovertyAdapter(Adapter):
    name = "poverty-2018"
    value_source = "inei-poverty-2018"
    files = ("poverty/Mapa_Pobreza_2018.xlsx",)
    description = _("INEI poverty map 2018: poverty_pct per district with its 95 percent interval.")

    def plan(self, file: InputFile, context: Context) -> ImportPlan:
        table = read_table(file, "Ubigeo", "Pobreza Monetaria")
        c_code = table.find("Ubigeo")
        c_value = table.find("Pobreza Monetaria")
        c_low = table.find("Intervalo de confianza al 95% INFERIOR", required=False)
        c_high = table.find("Intervalo de confianza al 95% SUPERIOR", required=False)
        codes = normalise_codes(table, c_code, known=context.communities, level=Level.DISTRICT)
        check_duplicates(table, codes, c_code)
        value = parse_numbers(table, c_value)
        low = parse_numbers(table, c_low, required=False) if c_low else None
        high = parse_numbers(table, c_high, required=False) if c_high else None
        plan = ImportPlan(rows_read=len(table.frame), errors=table.errors)
        if not table.errors:
            plan.values = values_frame(table, community_ids(codes, context), indicator="poverty_pct", year=2018,
                                       value=value, column=c_value, lower=low, upper=high, key_column=c_code)
        return plan
