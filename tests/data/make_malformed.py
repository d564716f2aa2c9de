"""Generate the malformed-file corpus in tests/data/malformed/ (run: python tests/data/make_malformed.py).

Every case names its file, how it is imported (``long``, ``wide`` with options, or a
built-in adapter), and the first problem expected: the row, the column and the message
constant (in interventions/importers/messages.py) with its parameters. The 10 MB file of
random bytes is not committed: ``random_case`` writes it at test time.

The files refer to the places the tests create first: districts 010101 and 010102
(Amazonas), 020101 (Áncash) and 160801 (Loreto).
"""
import io
import os
from pathlib import Path

HERE = Path(__file__).resolve().parent / "malformed"

GOOD_HEADER = "ubigeo,indicator,year,value\n"
GOOD_ROW = "010101,poverty_pct,2018,9.0\n"


def _xlsx(rows, sheet="Datos") -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    ws = book.active
    ws.title = sheet
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _census_xlsx(total) -> bytes:
    rows = [["Título"], ["P: Según Sexo"], ["Área Geográfica"], ["Toda la Base de Datos"], [None],
            [None, "Código", "Distrito", "Hombre", "Mujer"],
            [None, 10101, "Amazonas, Chachapoyas, distrito de Chachapoyas", 100, 120],
            [None, 10102, "Amazonas, Chachapoyas, distrito de Asunción", 30, 40],
            [None, "TOTAL", None, total, 0], [None], ["Fuente: INEI - CPV2017"]]
    return _xlsx(rows, sheet="Output")


# (file name, content bytes, import spec, expected row, expected column, message name, params)
CASES = [
    ("wrong_encoding_utf16.csv", (GOOD_HEADER + GOOD_ROW).encode("utf-16"), {"kind": "long"},
     None, None, "MSG_BAD_ENCODING", {}),
    ("empty.csv", b"", {"kind": "long"}, None, None, "MSG_EMPTY_FILE", {}),
    ("blank_lines_only.csv", b"\n\n  \n", {"kind": "long"}, None, None, "MSG_EMPTY_FILE", {}),
    ("header_only.csv", GOOD_HEADER.encode(), {"kind": "long"}, None, None, "MSG_HEADER_ONLY", {"row": 1}),
    ("unknown_ubigeo.csv", (GOOD_HEADER + GOOD_ROW + "250199,poverty_pct,2018,20\n").encode(), {"kind": "long"},
     3, "ubigeo", "MSG_UNKNOWN_UBIGEO", {"code": "250199"}),
    ("reniec_code.csv", (GOOD_HEADER + "140101,poverty_pct,2018,12.5\n").encode(), {"kind": "long"},
     2, "ubigeo", "MSG_UNKNOWN_UBIGEO", {"code": "140101"}),
    ("ubigeo_letters.csv", (GOOD_HEADER + "01A101,poverty_pct,2018,12.5\n").encode(), {"kind": "long"},
     2, "ubigeo", "MSG_BAD_UBIGEO", {"text": "01A101"}),
    ("ubigeo_seven_digits.csv", (GOOD_HEADER + "0101011,poverty_pct,2018,12.5\n").encode(), {"kind": "long"},
     2, "ubigeo", "MSG_BAD_UBIGEO", {"text": "0101011"}),
    ("department_zero.csv", (GOOD_HEADER + "000101,poverty_pct,2018,12.5\n").encode(), {"kind": "long"},
     2, "ubigeo", "MSG_BAD_UBIGEO", {"text": "000101"}),
    ("empty_ubigeo.csv", (GOOD_HEADER + GOOD_ROW + ",poverty_pct,2018,12.5\n").encode(), {"kind": "long"},
     3, "ubigeo", "MSG_EMPTY_CELL", {}),
    ("text_in_numeric.csv", (GOOD_HEADER + "010101,poverty_pct,2018,abc\n").encode(), {"kind": "long"},
     2, "value", "MSG_NOT_A_NUMBER", {"text": "abc"}),
    # An empty value is no value (read as missing and counted); an empty year is an error.
    ("empty_year.csv", (GOOD_HEADER + GOOD_ROW + "010102,poverty_pct,,9\n").encode(), {"kind": "long"},
     3, "year", "MSG_EMPTY_CELL", {}),
    ("infinite_value.csv", (GOOD_HEADER + "010101,poverty_pct,2018,1e400\n").encode(), {"kind": "long"},
     2, "value", "MSG_NOT_A_NUMBER", {"text": "1e400"}),
    ("percent_above_100.csv", (GOOD_HEADER + GOOD_ROW + "010102,poverty_pct,2018,104.5\n").encode(), {"kind": "long"},
     3, "value", "MSG_PERCENT_RANGE", {"value": "104.5"}),
    ("negative_percent.csv", (GOOD_HEADER + "010102,stunting_u5_pct,2022,-1\n").encode(), {"kind": "long"},
     2, "value", "MSG_PERCENT_RANGE", {"value": "-1"}),
    ("negative_population.csv", (GOOD_HEADER + "010101,population,2017,-5\n").encode(), {"kind": "long"},
     2, "value", "MSG_NEGATIVE", {"value": "-5"}),
    ("duplicated_keys.csv", (GOOD_HEADER + GOOD_ROW + "010102,poverty_pct,2018,30\n" + GOOD_ROW).encode(),
     {"kind": "long"}, 4, "ubigeo", "MSG_DUPLICATE", {"what": "KEY_WHAT", "first": 2}),
    ("missing_value_column.csv", b"ubigeo,indicator,year\n010101,poverty_pct,2018\n", {"kind": "long"},
     None, None, "MSG_MISSING_COLUMN",
     {"row": 1, "column": "value", "found": "“ubigeo”, “indicator”, “year”"}),
    ("year_as_text.csv", (GOOD_HEADER + "010101,poverty_pct,dos mil,9\n").encode(), {"kind": "long"},
     2, "year", "MSG_NOT_A_NUMBER", {"text": "dos mil"}),
    ("year_fraction.csv", (GOOD_HEADER + "010101,poverty_pct,2018.5,9\n").encode(), {"kind": "long"},
     2, "year", "MSG_NOT_A_WHOLE_NUMBER", {"text": "2018.5"}),
    ("year_out_of_range.csv", (GOOD_HEADER + "010101,poverty_pct,1850,9\n").encode(), {"kind": "long"},
     2, "year", "MSG_NOT_A_YEAR", {"text": "1850"}),
    ("interval_outside.csv", b"ubigeo,indicator,year,value,lower,upper\n010101,poverty_pct,2018,40,50,60\n",
     {"kind": "long"}, 2, "lower", "MSG_INTERVAL", {"lower": "50", "upper": "60", "value": "40"}),
    ("negative_sample_size.csv", b"ubigeo,indicator,year,value,sample_size\n010101,stunting_u5_pct,2022,20,-3\n",
     {"kind": "long"}, 2, "sample_size", "MSG_NEGATIVE", {"value": "-3"}),
    ("fractional_sample_size.csv", b"ubigeo,indicator,year,value,sample_size\n010101,stunting_u5_pct,2022,20,10.5\n",
     {"kind": "long"}, 2, "sample_size", "MSG_NOT_A_WHOLE_NUMBER", {"text": "10.5"}),
    ("unknown_indicator.csv", (GOOD_HEADER + "010101,stunting,2018,20\n").encode(), {"kind": "long"},
     2, "indicator", "MSG_UNKNOWN_INDICATOR", {"code": "stunting", "known": "KNOWN_CODES"}),
    ("formula_hyperlink.csv", (GOOD_HEADER + '010101,poverty_pct,2018,"=HYPERLINK(""http://x.example"",""9"")"\n').encode(),
     {"kind": "long"}, 2, "value", "MSG_FORMULA", {"text": '=HYPERLINK("http://x.example","9")'}),
    ("formula_in_code.csv", (GOOD_HEADER + "010101,=cmd|' /C calc'!A0,2018,9\n").encode(), {"kind": "long"},
     2, "indicator", "MSG_FORMULA", {"text": "=cmd|' /C calc'!A0"}),
    ("formula_plus.csv", (GOOD_HEADER + "010101,poverty_pct,2018,+SUM(A1:A9)\n").encode(), {"kind": "long"},
     2, "value", "MSG_FORMULA", {"text": "+SUM(A1:A9)"}),
    ("ragged_row.csv", (GOOD_HEADER + GOOD_ROW + "010102,poverty_pct,2018,30,extra\n").encode(), {"kind": "long"},
     3, None, "MSG_RAGGED_ROW", {"cells": "5", "expected": "4"}),
    ("semicolon_bad_number.csv",
     b"ubigeo;indicator;year;value\n010101;poverty_pct;2018;12,5\n010102;poverty_pct;2018;12,5,3\n",
     {"kind": "long"}, 3, "value", "MSG_NOT_A_NUMBER", {"text": "12,5,3"}),
    ("nul_bytes.csv", b"\x00\x01\x02" * 2000, {"kind": "long"}, None, None, "MSG_NOT_A_TABLE", {}),
    ("corrupt.xlsx", b"this is not a workbook, only text saved with the wrong name\n", {"kind": "long"},
     None, None, "MSG_CORRUPT_XLSX", {}),
    ("truncated.xlsx", "TRUNCATED_XLSX", {"kind": "long"}, None, None, "MSG_CORRUPT_XLSX", {}),
    ("corrupt.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, {"kind": "long"},
     None, None, "MSG_CORRUPT_XLS", {}),
    ("text_in_number.xlsx", "XLSX_TEXT_IN_NUMBER", {"kind": "long"}, 3, "value", "MSG_NOT_A_NUMBER",
     {"text": "about 9"}),  # "n/a" and the other missing-value markers are read as missing
    ("missing_sheet.xlsx", "XLSX_GOOD", {"kind": "long", "sheet": "Hoja1"}, None, None, "MSG_NO_SHEET",
     {"sheet": "Hoja1", "sheets": "Datos"}),
    ("wide_missing_column.csv", b"UBIGEO,pobreza\n010101,9.0\n",
     {"kind": "wide", "year": 2018, "ubigeo_column": "UBIGEO", "columns": {"poverty": "poverty_pct"}},
     None, None, "MSG_MISSING_COLUMN", {"row": 1, "column": "poverty", "found": "“UBIGEO”, “pobreza”"}),
    ("wide_share_above_100.csv", b"UBIGEO,pobreza\n010101,0.09\n010102,1.3\n",
     {"kind": "wide", "year": 2018, "ubigeo_column": "UBIGEO", "columns": {"pobreza": "poverty_pct"},
      "scale": {"poverty_pct": 100}},
     3, "pobreza", "MSG_PERCENT_RANGE", {"value": "130"}),
    ("C5P2.xlsx", "CENSUS_TOTAL_MISMATCH", {"kind": "census-2017"}, 9, "Código", "MSG_TOTAL_MISMATCH",
     {"sum": "290", "total": "999"}),
    ("Mapa_Pobreza_2018.xlsx", "POVERTY_NO_UBIGEO", {"kind": "poverty-2018"}, None, None, "MSG_NO_HEADER",
     {"columns": "“Ubigeo”, “Pobreza Monetaria”", "rows": 15}),
    ("province_in_district_column.xlsx", "POVERTY_PROVINCE_CODE", {"kind": "poverty-2018"}, 2, "Ubigeo",
     "MSG_WRONG_LEVEL", {"code": "0101", "level": "LEVEL_PROVINCE", "expected": "LEVEL_DISTRICT"}),
    ("not_json.geojson", b"{\"type\": \"FeatureCollection\", \"features\": [", {"kind": "boundaries"},
     None, None, "MSG_NOT_JSON", {"detail": "JSONDecodeError"}),
]


def content(name, data) -> bytes:
    if data == "TRUNCATED_XLSX":
        whole = _xlsx([["ubigeo", "indicator", "year", "value"], ["010101", "poverty_pct", 2018, 9.0]])
        return whole[: len(whole) // 2]
    if data == "XLSX_TEXT_IN_NUMBER":
        return _xlsx([["ubigeo", "indicator", "year", "value"], ["010101", "poverty_pct", 2018, 9.0],
                      ["010102", "poverty_pct", 2018, "about 9"]])
    if data == "XLSX_GOOD":
        return _xlsx([["ubigeo", "indicator", "year", "value"], ["010101", "poverty_pct", 2018, 9.0]])
    if data == "CENSUS_TOTAL_MISMATCH":
        return _census_xlsx(999)
    if data == "POVERTY_NO_UBIGEO":
        return _xlsx([["Codigo", "Departamento", "Pobreza Monetaria -Mapa de Pobreza\n2018 (INEI)"],
                      ["010101", "AMAZONAS", 9.03]], sheet="BBDD")
    if data == "POVERTY_PROVINCE_CODE":
        return _xlsx([["Ubigeo", "Departamento", "Pobreza Monetaria -Mapa de Pobreza\n2018 (INEI)"],
                      ["0101", "AMAZONAS", 9.03]], sheet="BBDD")
    return data


def random_case(folder: Path, size=10 * 1024 * 1024) -> Path:
    """The 10 MB file of random bytes (generated, never committed)."""
    path = Path(folder) / "random_bytes.csv"
    path.write_bytes(os.urandom(size))
    return path


def main():
    HERE.mkdir(parents=True, exist_ok=True)
    for name, data, *_ in CASES:
        (HERE / name).write_bytes(content(name, data))
    print(f"{len(CASES)} files written to {HERE}")


if __name__ == "__main__":
    main()
