"""MINSA/INS SIEN-HIS 2022 by district: stunting and anaemia, one sheet each under a
header stacked over several rows, with the children evaluated as sample size."""
from __future__ import annotations

import pandas as pd
from django.utils.translation import gettext_lazy as _

from ...choices import Level
from ..base import Adapter, Context, ImportPlan
from ..cells import parse_numbers
from ..reading import InputFile, Table, find_header_row, header_text, read_grid, table_from_grid
from ..ubigeo import normalise_codes
from .common import check_duplicates, community_ids, values_frame

__all__ = ["SienAdapter", "stacked_header_table"]


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
            check_duplicates(body, codes, c_code)
            value = parse_numbers(body, c_value, required=False)
            n = parse_numbers(body, c_n, whole=True, required=False)
            plan.rows_read += len(body.frame)
            plan.errors.extend(body.errors)
            if not body.errors:
                frames.append(values_frame(body, community_ids(codes, context), indicator=indicator, year=2022,
                                           value=value, column=c_value, sample_size=n, sample_column=c_n,
                                           key_column=c_code))
        if not plan.errors:
            plan.values = pd.concat(frames)
        return plan
