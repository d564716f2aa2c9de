"""Properties of the cell readers (UBIGEO codes, numbers in every local format) and the
handling of files with a great many errors."""
import time

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from interventions.choices import ImportStatus
from interventions.importers import messages as M
from interventions.importers.cells import parse_numbers
from interventions.importers.reading import MAX_ERRORS_KEPT, Table
from interventions.importers.ubigeo import normalise_code

from .test_importers import long_import, places  # noqa: F401 (fixture)

districts = st.tuples(st.integers(1, 25), st.integers(1, 20), st.integers(1, 99))


@given(districts)
def test_a_district_code_survives_every_spelling(parts):
    d, p, k = parts
    code = f"{d:02d}{p:02d}{k:02d}"
    number = int(code)
    for spelling in (code, number, float(number), f" {code} ", f"{number}.0", str(number)):
        assert normalise_code(spelling) == code


@given(st.integers(1, 25), st.integers(1, 20))
def test_padded_department_and_province_codes(d, p):
    assert normalise_code(f"{d:02d}0000") == f"{d:02d}"
    assert normalise_code(f"{d:02d}{p:02d}00") == f"{d:02d}{p:02d}"
    assert normalise_code(d) == f"{d:02d}"


@pytest.mark.parametrize("text", ["0", "00", "001010", "1234567", "12A4", "", "1.5", "-10101", "PE1"])
def test_not_codes(text):
    assert normalise_code(text) is None


def _spell(value: float, style: str) -> str:
    whole, frac = f"{value:,.2f}".split(".")
    if style == "point":
        return f"{whole}.{frac}"
    if style == "comma":
        return f"{whole.replace(',', '.')},{frac}"
    if style == "space":
        return f"{whole.replace(',', ' ')},{frac}"
    return f"{whole.replace(',', '')}.{frac}"


@settings(max_examples=200)
@given(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False).map(lambda v: round(v, 2)),
       st.sampled_from(["point", "comma", "space", "plain"]))
def test_numbers_in_local_formats(value, style):
    decimal = "," if style in ("comma", "space") else "."
    table = Table(file="f.csv", frame=pd.DataFrame({"v": [_spell(value, style)]}, index=[2]), header_row=1,
                  decimal=decimal)
    parsed = parse_numbers(table, "v")
    assert table.errors == []
    assert parsed.iloc[0] == pytest.approx(value, abs=0.006)


def test_a_file_full_of_errors_is_refused_quickly(places):  # noqa: F811
    """12,800 rows (2 districts × 16 indicators × 200 years), every value negative: all rejected,
    the first 1,000 messages kept."""
    from interventions.models import Community, Indicator

    grid = pd.MultiIndex.from_product([
        sorted(Community.objects.filter(level="district").values_list("code", flat=True)),
        sorted(Indicator.objects.values_list("code", flat=True)), range(1901, 2101)]).to_frame(index=False)
    grid.columns = ["ubigeo", "indicator", "year"]
    grid["value"] = -5
    started = time.monotonic()
    batch = long_import(grid.to_csv(index=False), name="big.csv")
    assert time.monotonic() - started < 30
    assert batch.status == ImportStatus.FAILED
    assert batch.rows_read == batch.rows_rejected == len(grid) == 12800
    assert len(batch.errors) == MAX_ERRORS_KEPT + 1
    assert batch.errors[-1]["message"] == str(M.MSG_MORE_ERRORS % {"count": 12800 - MAX_ERRORS_KEPT,
                                                                   "shown": MAX_ERRORS_KEPT})
    assert batch.errors[0]["message"].startswith("big.csv, row 2, column “value”: ")
