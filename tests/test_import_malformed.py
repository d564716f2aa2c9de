"""Every malformed file in tests/data/malformed/ (and a 10 MB file of random bytes) is
refused with a message that names the file, the row and the column in plain words, and
leaves the database exactly as it was."""

import pytest

from interventions.choices import ImportStatus, Level
from interventions.importers import PERU_ADAPTERS, GenericAdapter, InputFile, run_import
from interventions.importers import messages as M
from interventions.importers.reading import CellError
from interventions.models import Indicator

from .data.make_malformed import CASES, HERE, random_case
from .importing import fingerprint
from .test_importers import LONG, long_import, places  # noqa: F401 (fixture)


def _adapter(spec):
    kind = spec["kind"]
    if kind == "long":
        return GenericAdapter(source="malformed-test", sheet=spec.get("sheet"))
    if kind == "wide":
        return GenericAdapter(source="malformed-test", year=spec["year"], ubigeo_column=spec["ubigeo_column"],
                              columns=spec["columns"], scale=spec.get("scale"))
    return PERU_ADAPTERS[kind]


def _params(params):
    out = {}
    for key, value in params.items():
        if value == "KEY_WHAT":
            value = M.KEY_WHAT
        elif value == "KNOWN_CODES":
            value = ", ".join(sorted(Indicator.objects.values_list("code", flat=True)))
        elif value == "LEVEL_PROVINCE":
            value = Level.PROVINCE.label
        elif value == "LEVEL_DISTRICT":
            value = Level.DISTRICT.label
        out[key] = value
    return out


def test_corpus_is_large_enough_and_committed():
    assert len(CASES) >= 30
    for name, *_ in CASES:
        assert (HERE / name).is_file(), f"run python tests/data/make_malformed.py ({name} is missing)"


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_malformed_file_is_refused_and_nothing_changes(places, case):  # noqa: F811
    name, _data, spec, row, column, message, params = case
    # Something to lose: values already in the database.
    assert long_import(LONG + "010101,poverty_pct,2018,9.0,,,\n020101,poverty_pct,2018,20,,,\n",
                       source="malformed-test").status == ImportStatus.SUCCEEDED
    before = fingerprint()
    file = InputFile.from_path(HERE / name)
    batch = run_import(adapter=_adapter(spec), file=file)
    assert batch.status == ImportStatus.FAILED
    assert batch.rows_written == 0
    expected = CellError(name, row, column, str(getattr(M, message) % _params(params))).message
    messages = [e["message"] for e in batch.errors]
    assert expected in messages
    assert all(m.startswith(name) for m in messages)
    assert fingerprint() == before


def test_random_bytes_are_refused(places, tmp_path):  # noqa: F811
    path = random_case(tmp_path)
    assert path.stat().st_size == 10 * 1024 * 1024
    before = fingerprint()
    batch = run_import(adapter=GenericAdapter(source="malformed-test"), file=InputFile.from_path(path))
    assert batch.status == ImportStatus.FAILED
    assert [e["message"] for e in batch.errors] == [CellError(path.name, None, None, str(M.MSG_NOT_A_TABLE)).message]
    assert fingerprint() == before


def test_every_error_of_a_file_is_listed(places):  # noqa: F811
    text = LONG + "010101,poverty_pct,2018,abc,,,\n999999,poverty_pct,2018,5,,,\n010102,poverty_pct,20x8,5,,,\n"
    batch = long_import(text, name="three.csv")
    assert [e["message"] for e in batch.errors] == [
        CellError("three.csv", 3, "ubigeo", str(M.MSG_UNKNOWN_UBIGEO % {"code": "999999"})).message,
        CellError("three.csv", 4, "year", str(M.MSG_NOT_A_NUMBER % {"text": "20x8"})).message,
        CellError("three.csv", 2, "value", str(M.MSG_NOT_A_NUMBER % {"text": "abc"})).message,
    ]
    assert (batch.rows_read, batch.rows_rejected) == (3, 3)


def test_missing_value_markers_are_read_as_missing_and_counted(places):  # noqa: F811
    """Audit row 16: ``null``, ``NA``, ``-``, ``..`` refused the whole file; they are no
    value, counted in the summary, and the rest is written."""
    from interventions.models import IndicatorValue

    from .test_importers import long_import

    text = LONG + "".join(f"010101,poverty_pct,{year},{cell},,,\n" for year, cell in (
        (2010, "null"), (2011, "NA"), (2012, "-"), (2013, ".."), (2014, "41.5"), (2015, "n/a")))
    batch = long_import(text)
    assert batch.status == ImportStatus.SUCCEEDED, batch.errors
    assert batch.summary["missing_markers"] == 5
    written = IndicatorValue.objects.filter(community__code="010101", indicator__code="poverty_pct",
                                            source="test-source")
    assert list(written.values_list("year", "value")) == [(2014, 41.5)]
    # Anything else that is not a number stays an error, and an empty required cell (a year) too.
    batch = long_import(LONG + "010101,poverty_pct,2016,4x2,,,\n010101,poverty_pct,,5,,,\n")
    assert batch.status == ImportStatus.FAILED
    assert sorted(e["row"] for e in batch.errors) == [2, 3]


def test_a_nul_inside_a_number_refuses_the_file(places):  # noqa: F811
    """Audit row 9: ``12<NUL>5`` was stored as 12."""
    from interventions.models import IndicatorValue

    from .test_importers import long_import

    before = fingerprint()
    batch = long_import(LONG + "010101,poverty_pct,2018,30,,,\n010102,poverty_pct,2018,12\x005,,,\n")
    assert batch.status == ImportStatus.FAILED and batch.rows_written == 0
    assert len(batch.errors) == 1 and batch.errors[0]["row"] == 3
    assert str(M.MSG_NUL_CHARACTER) in batch.errors[0]["message"]
    assert not IndicatorValue.objects.filter(year=2018, source="test-source").exists()
    assert fingerprint() == before


def test_the_ubigeo_source_refuses_impossible_codes(db):
    """Audit row 10: a department 99 (or a province 00) is no INEI code; nothing is created."""
    from interventions.models import Community
    from interventions.models.places import MSG_NO_SUCH_CODE

    from .test_importers import PLACES_CSV, csv_file

    text = PLACES_CSV + '990101,Nowhere,Nowhere,Nowhere,"1,000",10.00,-6.0,-77.0\n'
    batch = run_import(adapter=PERU_ADAPTERS["ubigeo"], file=csv_file(text, "geodir-ubigeo-inei.csv"))
    assert batch.status == ImportStatus.FAILED
    assert any(str(MSG_NO_SUCH_CODE % {"code": "990101"}) in e["message"] for e in batch.errors), batch.errors
    assert not Community.objects.filter(code__startswith="99").exists()
