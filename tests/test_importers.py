"""The import service on small files made here: formats, UBIGEO clean-up, idempotence,
new versions with history, dry runs, the generic importer and rollback."""
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from interventions.choices import ImportStatus
from interventions.importers import PERU_ADAPTERS, GenericAdapter, InputFile, rollback_batch, run_import
from interventions.importers import messages as M
from interventions.importers.base import Context
from interventions.importers.reading import CellError
from interventions.models import Community, ImportBatch, Indicator, IndicatorValue
from interventions.seed.catalogue import ensure_indicators

from .importing import fingerprint

PLACES_CSV = (
    "\ufeffUbigeo,Distrito,Provincia,Departamento,Poblacion,Superficie,Y,X\n"
    '010101,Chachapoyas,Chachapoyas,Amazonas,"29,171",153.78,-6.2294,-77.8714\n'
    "010102,Asuncion,Chachapoyas,Amazonas,288,25.71,-6.0317,-77.7122\n"
    '020101,Huaraz,Huaraz,Ancash,"64,000",432.99,-9.5278,-77.5278\n'
    '160801,Putumayo,Putumayo,Loreto,"4,000","11,814.00",-2.4469,-72.6761\n'
)
LONG = "ubigeo,indicator,year,value,lower,upper,sample_size\n"


def csv_file(text, name="values.csv", encoding="utf-8"):
    return InputFile(name=name, data=text.encode(encoding))


def long_import(text, *, name="values.csv", source="test-source", encoding="utf-8", **kwargs):
    return run_import(adapter=GenericAdapter(source=source), file=csv_file(text, name, encoding), **kwargs)


@pytest.fixture
def places(db):
    """Peru, two departments' worth of districts, and Loreto's 160801 — made by the ubigeo importer."""
    ensure_indicators()
    batch = run_import(adapter=PERU_ADAPTERS["ubigeo"], file=csv_file(PLACES_CSV, "geodir-ubigeo-inei.csv"))
    assert batch.status == ImportStatus.SUCCEEDED, batch.errors
    return batch


def value(code, indicator="poverty_pct", year=2018, source="test-source"):
    return IndicatorValue.objects.get(community__code=code, indicator__code=indicator, year=year, source=source)


# --- communities ---------------------------------------------------------------------

def test_ubigeo_builds_three_levels_and_the_country(places):
    assert set(Community.objects.values_list("code", flat=True)) == {
        "PE", "01", "0101", "010101", "010102", "02", "0201", "020101", "16", "1608", "160801"}
    chacha = Community.objects.get(code="010101")
    assert (chacha.population, chacha.area_km2, chacha.latitude) == (29171, 153.78, -6.2294)
    assert Community.objects.get(code="0101").population == 29171 + 288
    assert Community.objects.get(code="PE").population == 29171 + 288 + 64000 + 4000
    assert Community.objects.get(code="160801").area_km2 == 11814.0
    assert places.rows_read == 4 and places.rows_written == 11
    history = Community.history.filter(code="010101")
    assert history.count() == 1 and history.get().history_change_reason == f"import batch {places.pk}"


def test_ubigeo_reimport_writes_nothing(places):
    before = fingerprint()
    again = run_import(adapter=PERU_ADAPTERS["ubigeo"], file=csv_file(PLACES_CSV, "geodir-ubigeo-inei.csv"))
    assert (again.status, again.rows_written) == (ImportStatus.SUCCEEDED, 0)
    assert fingerprint() == before


# --- reading formats -----------------------------------------------------------------

@pytest.mark.parametrize(
    "text, encoding",
    [
        (LONG + "010101,poverty_pct,2018,9.5,,,\n010102,poverty_pct,2018,\"1,234.5\",,,\n", "utf-8"),
        ("\ufeff" + LONG + "010101,poverty_pct,2018,9.5,,,\n010102,poverty_pct,2018,1234.5,,,\n", "utf-8"),
        (LONG.replace(",", ";") + "010101;poverty_pct;2018;9,5;;;\n010102;poverty_pct;2018;1.234,5;;;\n", "latin-1"),
        (LONG.replace(",", "\t") + "010101\tpoverty_pct\t2018\t9,5\t\t\t\n"
         "10102\tpoverty_pct\t2018\t1 234,5\t\t\t\n", "utf-8"),
        (LONG.replace(",", ";") + "10101;poverty_pct;2018;9,5;;;\n10102;poverty_pct;2018;1234,5;;;\n", "cp1252"),
    ],
    ids=["comma-thousands", "utf8-bom", "latin1-semicolon-decimal-comma", "tab-space-thousands", "lost-zero"],
)
def test_csv_dialects_are_read(places, text, encoding):
    indicator = Indicator.objects.get(code="poverty_pct")
    indicator.max_value = None  # 1234.5 is a number-format check, not a realistic poverty rate
    indicator.save()
    batch = long_import(text, encoding=encoding)
    assert batch.status == ImportStatus.SUCCEEDED, batch.errors
    assert value("010101").value == 9.5
    assert value("010102").value == 1234.5


def test_latin1_names_are_read(db):
    ensure_indicators()
    text = PLACES_CSV.replace("\ufeff", "").replace("Asuncion", "Asunción").replace("Ancash", "Áncash")
    batch = run_import(adapter=PERU_ADAPTERS["ubigeo"], file=csv_file(text, "geodir.csv", "latin-1"))
    assert batch.status == ImportStatus.SUCCEEDED, batch.errors
    assert Community.objects.get(code="010102").name == "Asunción"
    assert Community.objects.get(code="02").name == "Áncash"


def _xlsx(rows):
    from openpyxl import Workbook

    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _xls(rows):
    import xlwt

    book = xlwt.Workbook()
    sheet = book.add_sheet("Datos")
    for r, row in enumerate(rows):
        for c, cell in enumerate(row):
            sheet.write(r, c, cell)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize("maker, name", [(_xlsx, "values.xlsx"), (_xls, "values.xls")])
def test_excel_files_are_read_with_numeric_ubigeo(places, maker, name):
    data = maker([["ubigeo", "indicator", "year", "value", "sample_size"],
                  [10101, "stunting_u5_pct", 2022, 20.5, 120], ["010102", "stunting_u5_pct", 2022, 11, 40]])
    batch = run_import(adapter=GenericAdapter(source="test-source"), file=InputFile(name=name, data=data))
    assert batch.status == ImportStatus.SUCCEEDED, batch.errors
    stunting = value("010101", "stunting_u5_pct", 2022)
    assert (stunting.value, stunting.sample_size) == (20.5, 120)


def test_2007_code_is_mapped_to_todays(places):
    batch = long_import(LONG + "160109,poverty_pct,2018,40,,,\n")
    assert batch.status == ImportStatus.SUCCEEDED, batch.errors
    assert value("160801").value == 40


# --- writing -------------------------------------------------------------------------

def test_import_records_its_batch(places, editor):
    text = LONG + "010101,poverty_pct,2018,9.0,5.7,12.3,\n010102,poverty_pct,2018,36.5,,,\n"
    batch = long_import(text, user=editor)
    assert batch.status == ImportStatus.SUCCEEDED
    assert (batch.source, batch.file_name, batch.user, batch.rows_read, batch.rows_written, batch.rows_rejected) == (
        "test-source", "values.csv", editor, 2, 2, 0)
    assert len(batch.sha256) == 64 and batch.finished_at >= batch.started_at
    assert batch.summary["values_created"] == 2
    v = value("010101")
    assert (v.value, v.lower, v.upper, v.import_batch) == (9.0, 5.7, 12.3, batch)
    record = IndicatorValue.history.get(id=v.id)
    assert (record.history_type, record.history_user, record.value) == ("+", editor, 9.0)


def test_identical_file_changes_nothing(places):
    text = LONG + "010101,poverty_pct,2018,9.0,,,\n010102,poverty_pct,2018,36.5,,,\n"
    long_import(text)
    before = fingerprint()
    again = long_import(text)
    assert (again.status, again.rows_written, again.summary["values_unchanged"]) == (ImportStatus.SUCCEEDED, 0, 2)
    assert fingerprint() == before


def test_new_version_replaces_values_and_keeps_history(places):
    first = long_import(LONG + "010101,poverty_pct,2018,9.0,,,\n010102,poverty_pct,2018,36.5,,,\n")
    second = long_import(
        LONG + "010101,poverty_pct,2018,10.0,,,\n010102,poverty_pct,2018,36.5,,,\n020101,poverty_pct,2018,20,,,\n"
    )
    counts = (second.summary["values_created"], second.summary["values_updated"], second.summary["values_unchanged"])
    assert counts == (1, 1, 1)
    v = value("010101")
    assert (v.value, v.import_batch) == (10.0, second)
    history = list(
        IndicatorValue.history.filter(id=v.id).order_by("history_id")
        .values_list("history_type", "value", "import_batch")
    )
    assert history == [("+", 9.0, first.pk), ("~", 10.0, second.pk)]
    # Another source's values for the same keys are untouched.
    long_import(LONG + "010101,poverty_pct,2018,55,,,\n", source="other-source")
    assert value("010101").value == 10.0 and value("010101", source="other-source").value == 55


def test_dry_run_reports_and_writes_nothing(places):
    long_import(LONG + "010101,poverty_pct,2018,9.0,,,\n")
    before = fingerprint()
    batch = long_import(LONG + "010101,poverty_pct,2018,9.5,,,\n010102,poverty_pct,2018,36.5,,,\n", dry_run=True)
    assert batch.status == ImportStatus.DRY_RUN and batch.dry_run
    assert (batch.summary["values_created"], batch.summary["values_updated"]) == (1, 1)
    assert fingerprint() == before


def test_orm_path_gives_the_same_result_with_history(places):
    """The bulk_create_with_history / bulk_update_with_history path (SQLite) agrees with COPY."""
    from interventions.importers import writers

    frame = __import__("pandas").DataFrame({
        "community_id": [Community.objects.get(code="010101").id],
        "indicator_id": [Indicator.objects.get(code="poverty_pct").id],
        "year": [2018], "value": [9.0], "lower": [None], "upper": [None], "sample_size": [None]})
    batch = ImportBatch.objects.create(source="orm")
    assert writers._write_values_orm(writers._clean_frame(frame), source="orm", batch=batch, user=None) == (1, 0)
    frame["value"] = [9.5]
    assert writers._write_values_orm(writers._clean_frame(frame), source="orm", batch=batch, user=None) == (0, 1)
    assert writers._write_values_orm(writers._clean_frame(frame), source="orm", batch=batch, user=None) == (0, 0)
    v = value("010101", source="orm")
    assert list(IndicatorValue.history.filter(id=v.id).order_by("history_id").values_list("history_type", "value")) == [
        ("+", 9.0), ("~", 9.5)]


# --- generic importer: wide format, indicators ---------------------------------------------

def test_wide_format_with_scale(places, tmp_path):
    path = tmp_path / "diresa.csv"
    path.write_text("Código;Pobreza;Agua\n010101;0,25;0,8\n010102;0,5;\n", encoding="utf-8")
    call_command("import_indicators", str(path), "--source", "diresa-amazonas", "--year", "2021",
                 "--ubigeo-column", "Código", "--column", "Pobreza=poverty_pct",
                 "--column", "Agua=water_public_network_pct", "--scale", "poverty_pct=100",
                 "--scale", "water_public_network_pct=100", stdout=io.StringIO())
    assert value("010101", year=2021, source="diresa-amazonas").value == 25.0
    assert value("010102", year=2021, source="diresa-amazonas").value == 50.0
    assert value("010101", "water_public_network_pct", 2021, "diresa-amazonas").value == 80.0
    assert not IndicatorValue.objects.filter(
        community__code="010102", indicator__code="water_public_network_pct"
    ).exists()


def test_wide_format_skip_rows_and_sheet(places, tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "Portada"
    sheet = book.create_sheet("Datos")
    sheet.append(["Cuadro 1: pobreza"])
    sheet.append([None])
    sheet.append(["UBIGEO", "Pobreza"])
    sheet.append(["010101", 12.5])
    path = tmp_path / "cuadro.xlsx"
    book.save(path)
    call_command("import_indicators", str(path), "--source", "cuadro", "--year", "2020", "--ubigeo-column", "UBIGEO",
                 "--column", "Pobreza=poverty_pct", "--sheet", "Datos", "--skip-rows", "2", stdout=io.StringIO())
    assert value("010101", year=2020, source="cuadro").value == 12.5


def test_unknown_indicator_is_refused_with_known_codes(places, tmp_path):
    path = tmp_path / "new.csv"
    path.write_text(LONG + "010101,vaccination_pct,2020,88,,,\n")
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_indicators", str(path), "--source", "x", stdout=io.StringIO(), stderr=err)
    known = ", ".join(sorted(Indicator.objects.values_list("code", flat=True)))
    assert err.getvalue().strip() == CellError("new.csv", 2, "indicator", str(
        M.MSG_UNKNOWN_INDICATOR % {"code": "vaccination_pct", "known": known})).message
    assert not Indicator.objects.filter(code="vaccination_pct").exists()


def test_create_indicators_option(places, tmp_path):
    path = tmp_path / "new.csv"
    path.write_text(LONG + "010101,vaccination_pct,2020,88,,,\n")
    call_command("import_indicators", str(path), "--source", "x", "--create-indicators", stdout=io.StringIO())
    assert Indicator.objects.filter(code="vaccination_pct").exists()
    assert value("010101", "vaccination_pct", 2020, "x").value == 88


def test_command_dry_run(places, tmp_path):
    path = tmp_path / "v.csv"
    path.write_text(LONG + "010101,poverty_pct,2018,9.0,,,\n")
    out = io.StringIO()
    call_command("import_indicators", str(path), "--source", "x", "--dry-run", stdout=out)
    assert "dry run, nothing written" in out.getvalue()
    assert not IndicatorValue.objects.exists()


def test_builtin_adapter_by_source_name(places, tmp_path):
    path = tmp_path / "Mapa_Pobreza_2018.xlsx"
    path.write_bytes(_xlsx([["Ubigeo", "Departamento", "Pobreza Monetaria -Mapa de Pobreza\n2018 (INEI)",
                             "Intervalo de confianza al 95%\nINFERIOR\nMapa",
                             "Intervalo de confianza al 95%\nSUPERIOR\nMapa"],
                            ["010101", "AMAZONAS", 9.03, 5.77, 12.3]]))
    call_command("import_indicators", str(path), "--source", "poverty-2018", stdout=io.StringIO())
    v = value("010101", source="inei-poverty-2018")
    assert (v.value, v.lower, v.upper) == (9.03, 5.77, 12.3)


# --- rollback ------------------------------------------------------------------------------

def test_rollback_restores_previous_values(places, editor):
    first = long_import(LONG + "010101,poverty_pct,2018,9.0,,,\n")
    second = long_import(LONG + "010101,poverty_pct,2018,10.0,,,\n010102,poverty_pct,2018,36.5,,,\n")
    result = rollback_batch(batch=second, user=editor)
    assert result == {"removed": 1, "restored": 1, "kept": 0}
    v = value("010101")
    assert (v.value, v.import_batch_id) == (9.0, first.pk)
    assert not IndicatorValue.objects.filter(community__code="010102").exists()
    second.refresh_from_db()
    assert second.status == ImportStatus.ROLLED_BACK and second.summary["rollback"]["by"] == "editor"
    assert IndicatorValue.history.filter(history_type="-", history_user=editor).count() == 1
    with pytest.raises(Exception) as refused:
        rollback_batch(batch=second)
    assert str(M.MSG_ROLLBACK_NOT_SUCCEEDED % {"status": second.get_status_display()}) in str(refused.value)


def test_context_create_indicators_flag_defaults_off(places):
    batch = run_import(adapter=GenericAdapter(source="t"), file=csv_file(LONG + "010101,new_code,2020,1,,,\n"),
                       context=Context())
    assert batch.status == ImportStatus.FAILED


def test_load_peru_data_from_a_base_url(db, tmp_path):
    """The adapters read a web folder laid out like ../shared/data/peru/ (served locally here)."""
    import functools
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    (tmp_path / "ubigeo").mkdir()
    (tmp_path / "ubigeo" / "geodir-ubigeo-inei.csv").write_text(PLACES_CSV, encoding="utf-8")
    (tmp_path / "ubigeo" / "ubigeo_distrito.csv").write_text(
        "inei,reniec,altitude,latitude,longitude,superficie\n010101,010101,2338,-6.2294,-77.8727,153.78\n")
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(tmp_path))
    handler.log_message = lambda *args: None
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        out = io.StringIO()
        call_command("load_peru_data", f"http://127.0.0.1:{server.server_port}/", "--only", "ubigeo",
                     "--no-progress", stdout=out)
    finally:
        server.shutdown()
    assert "geodir-ubigeo-inei.csv" in out.getvalue() and "succeeded" in out.getvalue()
    assert out.getvalue().splitlines()[0].split() == ["source", "file", "status", "rows", "read", "written",
                                                      "rejected", "seconds"]
    assert Community.objects.get(code="010101").altitude_m == 2338
    assert Community.objects.filter(level="district").count() == 4


def test_load_peru_data_reports_missing_files(db, tmp_path):
    with pytest.raises(CommandError) as failed:
        call_command("load_peru_data", str(tmp_path), "--only", "poverty-2018", "--no-progress", stdout=io.StringIO())
    assert str(failed.value) == "0 files refused, 1 missing; nothing was written from those files."
    with translation.override("es"), pytest.raises(CommandError) as failed:
        call_command("load_peru_data", str(tmp_path), "--only", "poverty-2018", "--no-progress", stdout=io.StringIO())
    assert str(failed.value) == "0 archivos rechazados, falta 1; no se escribió nada de esos archivos."


def test_load_peru_data_dry_run_writes_nothing_at_all(db, tmp_path):
    (tmp_path / "ubigeo").mkdir()
    (tmp_path / "ubigeo" / "geodir-ubigeo-inei.csv").write_text(PLACES_CSV, encoding="utf-8")
    (tmp_path / "poverty").mkdir()
    (tmp_path / "poverty" / "Mapa_Pobreza_2018.xlsx").write_bytes(_xlsx([
        ["Ubigeo", "Pobreza Monetaria -Mapa de Pobreza\n2018 (INEI)"], ["010101", 9.03], ["010102", 36.5]]))
    out = io.StringIO()
    with translation.override("es"):  # the table in Spanish, as the command prints it by default
        call_command("load_peru_data", str(tmp_path), "--only", "ubigeo", "--only", "poverty-2018", "--dry-run",
                     "--no-progress", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].split() == ["fuente", "archivo", "estado", "filas", "leídas", "escritas", "rechazadas", "segundos"]
    # The poverty values would find the communities the ubigeo file would create.
    assert any(line.split()[:3] == ["poverty-2018", "Mapa_Pobreza_2018.xlsx", "simulación"] and line.split()[4] == "2"
               for line in lines), out.getvalue()
    assert "(simulación: no se escribió nada)" in out.getvalue()
    assert not Community.objects.exists() and not IndicatorValue.objects.exists()
    assert not ImportBatch.objects.exists()


def test_a_database_refusal_fails_the_batch_cleanly(places, monkeypatch):
    from django.db import IntegrityError

    from interventions.importers import pipeline

    def refuse(**kwargs):
        raise IntegrityError("duplicate key value violates unique constraint\nDETAIL: …")

    monkeypatch.setattr(pipeline, "write_values", refuse)
    before = fingerprint()
    batch = long_import(LONG + "010101,poverty_pct,2018,9.0,,,\n")
    assert batch.status == ImportStatus.FAILED
    assert batch.errors[0]["message"] == CellError("values.csv", None, None, str(M.MSG_DATABASE_REFUSED % {
        "detail": "duplicate key value violates unique constraint"})).message
    assert fingerprint() == before


def test_commands_record_the_user(places, editor, tmp_path):
    path = tmp_path / "v.csv"
    path.write_text(LONG + "010101,poverty_pct,2018,9.0,,,\n")
    call_command("import_indicators", str(path), "--source", "x", "--user", "editor", stdout=io.StringIO())
    assert ImportBatch.objects.get(source="x").user == editor
    with pytest.raises(CommandError, match="there is no user “ghost”"):
        call_command("import_indicators", str(path), "--source", "x", "--user", "ghost", stdout=io.StringIO())


def test_imports_are_counted_in_prometheus(places):
    """Counted under the adapter: a built-in one's name, "generic" for any indicator table
    (the source users type would make the label unbounded, audit row 11)."""
    from prometheus_client import REGISTRY

    def count(outcome, source="generic"):
        return REGISTRY.get_sample_value(
            "healthplanner_import_rows_total", {"source": source, "outcome": outcome}) or 0.0

    written, rejected = count("written"), count("rejected")
    good = LONG + "010101,poverty_pct,2018,9.0,,,\n010102,poverty_pct,2018,36.5,,,\n"
    batch = long_import(good, source="metrics-source")
    assert batch.status == ImportStatus.SUCCEEDED and batch.rows_written == 2
    assert count("written") - written == batch.rows_written
    bad = long_import(good + "010101,poverty_pct,2019,abc,,,\n", source="metrics-source")
    assert bad.status == ImportStatus.FAILED
    assert count("rejected") - rejected == bad.rows_rejected >= 1
    long_import(LONG + "010101,poverty_pct,2020,9.0,,,\n", source="metrics-source", dry_run=True)
    assert count("written") - written == batch.rows_written  # a dry run counts nothing
    assert count("written", source="metrics-source") == 0.0
