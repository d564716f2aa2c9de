"""Bounded imports (issue 13, rows 1, 9 and 16): a file is read within limits on what it
unpacks to, its rows, columns and cells, and a time budget, each checked while reading; a
large upload is read by the worker with its progress on the batch; missing-value markers
are no value and are counted; anything else that is not a number stays an error."""
import re
import time
import tracemalloc

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from interventions.choices import ImportStage, ImportStatus
from interventions.importers import GenericAdapter, InputFile, run_import
from interventions.importers import messages as M
from interventions.importers.reading import CellError
from interventions.importers.uploads import upload_folder
from interventions.models import ImportBatch, IndicatorValue

from .api_support import client_for
from .importing import fingerprint
from .test_importers import LONG, long_import, places  # noqa: F401 (fixture)
from .xlsx_bombs import bomb_xlsx

IMPORT_URL = reverse("admin:interventions_importbatch_import")
MB = 1024 * 1024


@pytest.fixture(scope="module")
def bomb():
    """5 MB on disk, 1.35 GB (10 million rows) once unpacked: the audit's file."""
    data = bomb_xlsx(10_000_000)
    assert len(data) < 6 * MB
    return data


def _unpacked_mb(data):
    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return sum(i.file_size for i in archive.infolist()) / MB


def _refused_within(seconds, megabytes, call):
    """Run ``call``; assert it took less than ``seconds`` and allocated at most
    ``megabytes`` at its peak (as tracemalloc sees Python, numpy and pandas allocations)."""
    tracemalloc.start()
    started = time.monotonic()
    try:
        result = call()
    finally:
        elapsed = time.monotonic() - started
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert elapsed < seconds, f"took {elapsed:.1f} s"
    assert peak < megabytes * MB, f"peak {peak / MB:.0f} MB"
    return result


def _message(name, problem):
    return CellError(name, None, None, str(problem)).message


# --- Row 1: the zip bomb ---------------------------------------------------------------

def test_a_zip_bomb_is_refused_by_the_api_at_once_without_unpacking_it(places, editor, bomb):  # noqa: F811
    """Audit row 1: a 5 MB XLSX that unpacks to 1.3 GB kept a gunicorn thread busy 528 s
    and took 3.2 GB; it is refused in the request, from its zip's directory."""
    before = fingerprint()
    client = client_for(editor)
    upload = SimpleUploadedFile("bomba.xlsx", bomb)
    response = _refused_within(3, 40, lambda: client.post("/api/v1/imports/", {
        "file": upload, "source": "diresa-bomb"}, format="multipart"))
    assert response.status_code == 400, response.content
    body = response.json()
    size = f"{_unpacked_mb(bomb):,.0f}"
    expected = _message("bomba.xlsx", M.MSG_TOO_LARGE_UNCOMPRESSED % {"size": size, "max": "200"})
    assert body["errors"] == {"file": [expected]}
    assert "IMPORT_MAX_UNCOMPRESSED_BYTES" in expected
    batch = ImportBatch.objects.get(pk=body["batch"]["id"])
    assert (batch.status, batch.rows_written, batch.task_id) == (ImportStatus.FAILED, 0, "")
    assert fingerprint() == before


def test_a_zip_bomb_is_refused_on_the_admin_import_page(client, places, editor, bomb):  # noqa: F811
    client.force_login(editor)
    before = fingerprint()
    response = _refused_within(3, 40, lambda: client.post(IMPORT_URL, {
        "adapter": "generic", "source": "diresa-bomb", "skip_rows": 0,
        "file": SimpleUploadedFile("bomba.xlsx", bomb)}))
    assert response.status_code == 200
    page = response.content.decode()
    assert "IMPORT_MAX_UNCOMPRESSED_BYTES" in page and 'name="confirm"' not in page
    assert fingerprint() == before


def test_the_importer_refuses_the_bomb_in_the_worker_too(places, bomb):  # noqa: F811
    """The same check holds for every caller of run_import (commands, the worker)."""
    batch = _refused_within(2, 40, lambda: run_import(adapter=GenericAdapter(source="diresa-bomb"),
                                                      file=InputFile(name="bomba.xlsx", data=bomb)))
    assert batch.status == ImportStatus.FAILED
    assert "IMPORT_MAX_UNCOMPRESSED_BYTES" in batch.errors[0]["message"]


def test_a_sheet_over_the_row_limit_is_refused_before_it_is_parsed(places, settings):  # noqa: F811
    """Within the size limit, a sheet is counted while it is unpacked (nothing kept): the
    rows limit stops it before openpyxl builds a single row."""
    settings.IMPORT_MAX_ROWS = 10_000
    data = bomb_xlsx(200_000)
    batch = _refused_within(3, 40, lambda: run_import(adapter=GenericAdapter(source="diresa-rows"),
                                                      file=InputFile(name="filas.xlsx", data=data)))
    assert [e["message"] for e in batch.errors] == [_message("filas.xlsx", M.MSG_TOO_MANY_ROWS % {"max": "10,000"})]


def test_one_row_of_a_million_cells_is_refused_before_it_is_parsed(places):  # noqa: F811
    """One XML row element of a million cells (15 MB unpacked) would cost gigabytes once a
    parser builds it; the columns limit refuses it while the sheet is counted."""
    row = "<row>" + "<c><v>1</v></c>" * 1_000_000 + "</row>"
    data = bomb_xlsx(1, rows_per_piece=1, row=row)
    batch = _refused_within(3, 60, lambda: run_import(adapter=GenericAdapter(source="diresa-wide"),
                                                      file=InputFile(name="ancho.xlsx", data=data)))
    assert len(batch.errors) == 1 and "IMPORT_MAX_COLUMNS" in batch.errors[0]["message"]


def test_csv_reading_stops_at_the_row_column_and_cell_limits(places, settings):  # noqa: F811
    settings.IMPORT_MAX_ROWS = 100
    rows = "".join(f"010101,poverty_pct,{1900 + i % 200},9,,,\n" for i in range(1000))
    batch = long_import(LONG + rows, name="filas.csv")
    assert [e["message"] for e in batch.errors] == [_message("filas.csv", M.MSG_TOO_MANY_ROWS % {"max": "100"})]
    settings.IMPORT_MAX_ROWS = 2_000_000
    wide = ",".join(f"c{i}" for i in range(1500)) + "\n" + ",".join("1" for _ in range(1500)) + "\n"
    batch = long_import(wide, name="ancho.csv")
    assert [e["message"] for e in batch.errors] == [_message("ancho.csv", M.MSG_TOO_MANY_COLUMNS % {
        "columns": "1,500", "max": "1,000"})]
    settings.IMPORT_MAX_CELLS = 50
    batch = long_import(LONG + rows, name="celdas.csv")
    assert [e["message"] for e in batch.errors] == [_message("celdas.csv", M.MSG_TOO_MANY_CELLS % {"max": "50"})]
    assert not IndicatorValue.objects.filter(source="test-source").exists()


def test_the_time_budget_stops_an_import_and_nothing_is_written(places, settings):  # noqa: F811
    before = fingerprint()
    settings.IMPORT_TIME_BUDGET_SECONDS = 0
    batch = long_import(LONG + "010101,poverty_pct,2018,9,,,\n", name="lento.csv")
    assert batch.status == ImportStatus.FAILED and batch.rows_written == 0
    assert [e["message"] for e in batch.errors] == [_message("lento.csv", M.MSG_TIME_BUDGET % {"seconds": "0"})]
    assert fingerprint() == before


def test_the_declared_dimension_of_a_sheet_is_not_believed(places, settings):  # noqa: F811
    """An ordinary workbook still reads: values, markers, text numbers (the streamed
    reader gives what pandas gave)."""
    book = Workbook()
    sheet = book.active
    for row in (["ubigeo", "indicator", "year", "value"], ["010101", "poverty_pct", 2018, 9.5],
                ["010102", "poverty_pct", 2018, "NA"], ["020101", "poverty_pct", 2018.0, "12,5"]):
        sheet.append(row)
    import io

    buffer = io.BytesIO()
    book.save(buffer)
    batch = run_import(adapter=GenericAdapter(source="diresa-xlsx"), file=InputFile(name="v.xlsx",
                                                                                    data=buffer.getvalue()))
    assert batch.status == ImportStatus.FAILED  # "12,5" with a point-decimal workbook is not a number
    assert [e["message"] for e in batch.errors] == [
        CellError("v.xlsx", 4, "value", str(M.MSG_NOT_A_NUMBER % {"text": "12,5"})).message]
    sheet["D4"] = 12.5
    buffer = io.BytesIO()
    book.save(buffer)
    batch = run_import(adapter=GenericAdapter(source="diresa-xlsx"), file=InputFile(name="v.xlsx",
                                                                                    data=buffer.getvalue()))
    assert batch.status == ImportStatus.SUCCEEDED, batch.errors
    assert batch.summary["missing_markers"] == 1
    assert sorted(IndicatorValue.objects.filter(source="diresa-xlsx").values_list("community__code", "value")) == [
        ("010101", 9.5), ("020101", 12.5)]


# --- Large files: the worker ------------------------------------------------------------

GOOD = LONG + "010101,poverty_pct,2018,9.0,,,\n010102,poverty_pct,2018,36.5,,,\n020101,poverty_pct,2018,null,,,\n"


def test_a_large_upload_is_read_by_the_worker_with_its_progress_on_the_batch(
        places, editor, settings, django_capture_on_commit_callbacks):  # noqa: F811
    settings.IMPORT_WORKER_THRESHOLD_BYTES = 100
    client = client_for(editor)
    stored_before = set(upload_folder().glob("*.bin"))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post("/api/v1/imports/", {
            "file": SimpleUploadedFile("grande.csv", GOOD.encode()), "source": "diresa-big"}, format="multipart")
    assert response.status_code == 202, response.content
    body = response.json()
    assert (body["status"], body["stage"], body["progress"]) == ("queued", "queued", 0)
    assert response["Location"].endswith(f"/api/v1/imports/{body['id']}/")
    assert not IndicatorValue.objects.filter(source="diresa-big").exists()  # nothing read in the request
    assert len(callbacks) == 1
    callbacks[0]()  # the worker (Q_CLUSTER sync in the tests) runs the task
    batch = client.get(response["Location"]).json()
    assert (batch["status"], batch["stage"], batch["progress"]) == ("succeeded", "done", 100), batch
    assert batch["rows_written"] == 2 and batch["summary"]["missing_values"] == 1
    assert ImportBatch.objects.get(pk=body["id"]).task_id
    assert set(IndicatorValue.objects.filter(source="diresa-big").values_list("import_batch_id", flat=True)) == {
        body["id"]}
    assert set(upload_folder().glob("*.bin")) == stored_before  # the stored upload is gone once read


def test_a_large_upload_refused_by_the_worker_keeps_its_errors(
        places, editor, settings, django_capture_on_commit_callbacks):  # noqa: F811
    settings.IMPORT_WORKER_THRESHOLD_BYTES = 10
    before = fingerprint()
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(editor).post("/api/v1/imports/", {
            "file": SimpleUploadedFile("mal.csv", (LONG + "010101,poverty_pct,2018,4x2,,,\n").encode()),
            "source": "diresa-big"}, format="multipart")
    assert response.status_code == 202
    batch = ImportBatch.objects.get(pk=response.json()["id"])
    assert batch.status == ImportStatus.FAILED and batch.stage == ImportStage.DONE
    assert batch.errors[0]["message"] == CellError("mal.csv", 2, "value", str(
        M.MSG_NOT_A_NUMBER % {"text": "4x2"})).message
    assert fingerprint() == before


def test_the_admin_previews_and_confirms_a_large_file_through_the_worker(
        client, places, editor, settings, django_capture_on_commit_callbacks):  # noqa: F811
    settings.IMPORT_WORKER_THRESHOLD_BYTES = 100
    client.force_login(editor)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(IMPORT_URL, {"adapter": "generic", "source": "diresa-big", "skip_rows": 0,
                                            "file": SimpleUploadedFile("grande.csv", GOOD.encode())})
    page = response.content.decode()
    assert 'http-equiv="refresh"' in page and 'id="import-progress"' in page and 'name="confirm"' not in page
    reload_url = re.search(r'<a href="([^"]+)">', page[page.index('id="import-progress"'):]).group(1)
    reload_url = reload_url.replace("&amp;", "&")
    for callback in callbacks:
        callback()
    page = client.get(reload_url).content.decode()
    assert 'name="confirm"' in page and 'http-equiv="refresh"' not in page
    assert '<span id="count-missing">1</span>' in page
    token = re.search(r'name="token" value="([^"]+)"', page).group(1)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(IMPORT_URL, {"token": token, "confirm": "1"})
    written = ImportBatch.objects.filter(source="diresa-big", dry_run=False).get()
    assert response["Location"] == reverse("admin:interventions_importbatch_change", args=[written.pk])
    assert written.status == ImportStatus.SUCCEEDED and written.rows_written == 2
    assert IndicatorValue.objects.filter(source="diresa-big").count() == 2
    # Another user's token for another batch shows nothing.
    assert client.get(f"{IMPORT_URL}?batch={written.pk}&token={token}").status_code == 302


# --- Rows 9 and 16: markers and NUL --------------------------------------------------------

def test_missing_value_markers_and_empty_values_are_counted_in_the_summary(places):  # noqa: F811
    """Audit row 16: ``null``, ``NA``, ``N/A``, ``-``, ``..`` and empty value cells (any case,
    any spaces around) are no value; the summary counts them; the rest is written."""
    cells = ["null", " NA ", "N/A", "-", "..", "", " Null", "n/a ", "41.5"]
    text = LONG + "".join(f"010101,poverty_pct,{2010 + i},{cell},,,\n" for i, cell in enumerate(cells))
    batch = long_import(text)
    assert batch.status == ImportStatus.SUCCEEDED, batch.errors
    assert (batch.summary["missing_values"], batch.summary["missing_markers"]) == (8, 7)
    assert batch.rows_written == 1
    assert list(IndicatorValue.objects.filter(source="test-source").values_list("year", "value")) == [(2018, 41.5)]


def test_a_marker_where_a_value_is_required_is_an_error_not_a_crash(places):  # noqa: F811
    """A year of ``NA`` was read as missing and the write then failed (a year cannot be
    NaN); it is a row-level error, with the rest of the file's errors."""
    before = fingerprint()
    batch = long_import(LONG + "010101,poverty_pct,NA,9,,,\n010102,poverty_pct,2018,4x2,,,\n")
    assert batch.status == ImportStatus.FAILED
    assert [e["message"] for e in batch.errors] == [
        CellError("values.csv", 2, "year", str(M.MSG_MISSING_REQUIRED % {"text": "NA"})).message,
        CellError("values.csv", 3, "value", str(M.MSG_NOT_A_NUMBER % {"text": "4x2"})).message,
    ]
    assert fingerprint() == before


@pytest.mark.parametrize("cell", ["12\x005", "12\x00", "\x0012"])
def test_a_nul_inside_a_number_is_an_error_never_a_shorter_number(places, cell):  # noqa: F811
    """Audit row 9: ``12<NUL>5`` was stored as 12; the file is refused, naming the row."""
    before = fingerprint()
    batch = long_import(LONG + f"010101,poverty_pct,2018,30,,,\n010102,poverty_pct,2018,{cell},,,\n")
    assert batch.status == ImportStatus.FAILED and batch.rows_written == 0
    assert [(e["row"], e["message"]) for e in batch.errors] == [
        (3, CellError("values.csv", 3, None, str(M.MSG_NUL_CHARACTER)).message)]
    assert fingerprint() == before


def test_a_nul_inside_an_xlsx_number_is_an_error(places):  # noqa: F811
    """XLSX writes a NUL in a text cell as ``_x0000_``; read back it is no number."""
    import io
    import zipfile

    book = Workbook()
    for row in (["ubigeo", "indicator", "year", "value"], ["010101", "poverty_pct", 2018, "12QQ5"]):
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    out = io.BytesIO()
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name in source.namelist():
            target.writestr(name, source.read(name).replace(b"12QQ5", b"12_x0000_5"))
    batch = run_import(adapter=GenericAdapter(source="diresa-xlsx"), file=InputFile(name="nul.xlsx",
                                                                                    data=out.getvalue()))
    assert batch.status == ImportStatus.FAILED and batch.rows_written == 0
    assert [(e["row"], e["column"]) for e in batch.errors] == [(2, "value")]
    assert not IndicatorValue.objects.filter(source="diresa-xlsx").exists()
