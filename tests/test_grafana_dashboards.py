"""The dashboards and provisioning files as files: they parse, their uids are stable and
unique, every data source they name is provisioned, secrets come from the environment;
and the query expander the database tests rely on behaves as Grafana's source says."""
import json
import re
from datetime import UTC, datetime

import pytest
import yaml

from healthplanner import metrics
from tests import grafana_support as gs

DASHBOARDS = gs.load_dashboards()
EXPECTED = {"indicadores.json": "hp-indicadores", "intervenciones.json": "hp-intervenciones",
            "operacion.json": "hp-operacion", "prioridades.json": "hp-prioridades"}


def test_every_dashboard_parses_and_has_a_stable_unique_uid():
    assert set(DASHBOARDS) >= set(EXPECTED)
    for path in gs.DASHBOARD_DIR.glob("*.json"):
        json.loads(path.read_text(encoding="utf-8"))  # raises on a broken file
    uids = [d["uid"] for d in DASHBOARDS.values()]
    assert len(uids) == len(set(uids))
    for name, uid in EXPECTED.items():
        assert DASHBOARDS[name]["uid"] == uid
    for dashboard in DASHBOARDS.values():
        assert re.fullmatch(r"[a-z0-9-]{1,40}", dashboard["uid"])
        assert dashboard["editable"] is False


def test_titles_are_spanish_and_descriptions_english():
    titles = {d["uid"]: d["title"] for d in DASHBOARDS.values()}
    assert titles["hp-indicadores"] == "Indicadores"
    assert titles["hp-intervenciones"] == "Intervenciones"
    assert titles["hp-operacion"] == "Modelos y operación"
    assert titles["hp-prioridades"] == "Prioridades"
    for dashboard in DASHBOARDS.values():
        assert dashboard["description"]
        for panel in gs.iter_panels(dashboard):
            assert panel["title"] and panel["description"], panel.get("id")
            # English descriptions: no Spanish-only letters in them.
            assert not re.search(r"[ñáéíóú¿¡]", panel["description"]), panel["description"]


def test_panel_ids_unique_within_each_dashboard():
    for dashboard in DASHBOARDS.values():
        ids = [p["id"] for p in gs.iter_panels(dashboard)]
        assert len(ids) == len(set(ids))


def test_every_datasource_reference_resolves_to_a_provisioned_uid():
    provisioned = gs.datasource_types()
    assert provisioned == {"hp-postgres": "grafana-postgresql-datasource", "hp-prometheus": "prometheus"}
    for name, dashboard in DASHBOARDS.items():
        for panel in gs.iter_panels(dashboard):
            refs = [panel.get("datasource")] + [t.get("datasource") for t in panel.get("targets", [])]
            assert panel.get("targets"), f"{name} panel {panel['id']} has no query"
            for ref in refs:
                assert ref, f"{name} panel {panel['id']} names no data source"
                assert ref["uid"] in provisioned, ref
                assert ref["type"] == provisioned[ref["uid"]], ref
        for variable in dashboard["templating"]["list"]:
            if variable["type"] == "query":
                ref = variable["datasource"]
                assert provisioned.get(ref["uid"]) == ref["type"], variable["name"]


def test_sql_panels_read_only_the_reporting_views():
    for target in gs.all_targets(gs.PG_TYPES):
        sql = target.target["rawSql"]
        tables = re.findall(r"\b(?:FROM|JOIN)\s+([a-zA-Z_][\w.]*)", sql)
        assert tables, target.id
        for table in tables:
            assert table.startswith("reporting."), f"{target.id} reads {table}"
    for dashboard in DASHBOARDS.values():
        for variable in dashboard["templating"]["list"]:
            if variable["type"] == "query" and variable["datasource"]["uid"] == "hp-postgres":
                for table in re.findall(r"\b(?:FROM|JOIN)\s+([a-zA-Z_][\w.]*)", variable["query"]):
                    assert table.startswith("reporting."), variable["name"]


def test_datasource_provisioning_takes_secrets_only_from_the_environment():
    text = gs.DATASOURCES_FILE.read_text()
    data = yaml.safe_load(text)
    assert data["apiVersion"] == 1
    env_ref = re.compile(r"^\$\{?[A-Z][A-Z0-9_]*\}?$")
    postgres = next(ds for ds in data["datasources"] if ds["uid"] == "hp-postgres")
    for value in postgres["secureJsonData"].values():
        assert env_ref.match(value), value
    assert env_ref.match(postgres["user"])
    assert "password" not in postgres and "password" not in postgres["jsonData"]
    for ds in data["datasources"]:
        assert ds["editable"] is False


def test_dashboard_provider_forbids_ui_updates():
    data = yaml.safe_load(gs.DASHBOARD_PROVIDERS_FILE.read_text())
    assert data["apiVersion"] == 1
    (provider,) = data["providers"]
    assert provider["allowUiUpdates"] is False
    assert provider["type"] == "file"
    assert provider["options"]["path"] == "/var/lib/grafana/dashboards"


def test_compose_mounts_what_the_tests_check():
    compose = yaml.safe_load(gs.COMPOSE_FILE.read_text())
    services = compose["services"]
    assert {"db", "web", "worker", "prometheus", "grafana"} <= set(services)
    assert services["grafana"]["image"].startswith("grafana/grafana")
    assert services["prometheus"]["image"].startswith("prom/prometheus")
    assert services["db"]["image"].startswith("postgres")
    mounts = {v.split(":")[1]: v.split(":")[0] for v in services["grafana"]["volumes"] if v.startswith("./")}
    assert mounts["/etc/grafana/provisioning"] == "./grafana/provisioning"
    assert mounts["/var/lib/grafana/dashboards"] == "./grafana/dashboards"
    prom_mounts = {v.split(":")[1]: v.split(":")[0] for v in services["prometheus"]["volumes"] if v.startswith("./")}
    assert prom_mounts["/etc/prometheus/prometheus.yml"] == "./prometheus/prometheus.yml"
    for service in ("web", "worker"):
        assert "PROMETHEUS_MULTIPROC_DIR" in services[service]["environment"]
    # Every ${VAR} the data source file needs is given to the grafana container.
    needed = set(re.findall(r"\$\{([A-Z0-9_]+)\}", gs.DATASOURCES_FILE.read_text()))
    assert needed <= set(services["grafana"]["environment"])


def test_prometheus_config_scrapes_web_and_worker_jobs_the_dashboards_use():
    config = yaml.safe_load(gs.PROMETHEUS_CONFIG.read_text())
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert jobs["healthplanner-web"]["static_configs"][0]["targets"] == ["web:8000"]
    assert jobs["healthplanner-worker"]["static_configs"][0]["targets"] == ["worker:9101"]
    for target in gs.all_targets(gs.PROM_TYPES):
        for job in re.findall(r'job=~?"([^"]+)"', target.target["expr"]):
            assert any(re.fullmatch(job, name) for name in jobs), (target.id, job)


# ------------------------------------------------------------------ the expander
RANGE = gs.TimeRange(datetime(2017, 4, 21, 5, 1, 17, tzinfo=UTC),
                     datetime(2017, 4, 21, 5, 6, 17, tzinfo=UTC))


@pytest.mark.parametrize("sql, expanded", [
    ("$__time(time_column)", 'time_column AS "time"'),
    ("$__timeEpoch(time_column)", 'extract(epoch from time_column) as "time"'),
    ("WHERE $__timeFilter(time_column)",
     "WHERE time_column BETWEEN '2017-04-21T05:01:17Z' AND '2017-04-21T05:06:17Z'"),
    ("$__timeFrom()", "'2017-04-21T05:01:17Z'"),
    ("$__timeTo()", "'2017-04-21T05:06:17Z'"),
    ("GROUP BY $__timeGroup(dateColumn,'5m')", "GROUP BY floor(extract(epoch from dateColumn)/300)*300"),
    ("SELECT $__timeGroup(dateColumn,'5m'), 1", 'SELECT floor(extract(epoch from dateColumn)/300)*300 AS "time", 1'),
    ("$__timeGroupAlias(dateColumn, '1h')", 'floor(extract(epoch from dateColumn)/3600)*3600 AS "time"'),
    ("$__unixEpochFilter(t)", "t >= 1492750877 AND t <= 1492751177"),
    ("$__unixEpochFrom() $__unixEpochTo()", "1492750877 1492751177"),
    ("$__unixEpochNanoFilter(t)", "t >= 1492750877000000000 AND t <= 1492751177000000000"),
    ("$__unixEpochGroupAlias(t, '5m')", 'floor((t)/300)*300 AS "time"'),
    ("$__interval $__interval_ms", "1s 1000"),
])
def test_sql_expansion_matches_grafana(sql, expanded):
    assert gs.expand_sql(sql, {}, RANGE, 1000) == expanded


def test_sql_variable_formatting_matches_grafana():
    single = gs.VariableValue("ind", "it's")
    multi = gs.VariableValue("dep", ["01", "02"], multi=True)
    everything = gs.VariableValue("dep2", gs.ALL, multi=True, include_all=True, is_all=True, options=["01", "02"])
    custom_all = gs.VariableValue("dep3", gs.ALL, include_all=True, all_value="%", is_all=True, options=["01"])
    variables = {v.name: v for v in (single, multi, everything, custom_all)}
    sql = "a = '$ind' AND b IN ($dep) AND c IN (${dep2}) AND d LIKE '$dep3' AND e IN (${dep:csv}) AND $__timeFrom()"
    assert gs.expand_sql(sql, variables, RANGE, 1000) == (
        "a = 'it''s' AND b IN ('01','02') AND c IN ('01','02') AND d LIKE '%' "
        "AND e IN (01,02) AND '2017-04-21T05:01:17Z'"
    )


def test_promql_builtins_and_variables():
    view = gs.VariableValue("view", gs.ALL, multi=True, include_all=True, all_value=".*", is_all=True, options=["a"])
    views = gs.VariableValue("views", ["a.b", "c"], multi=True)
    expr = 'rate(x{view=~"$view",v2=~"$views"}[$__rate_interval]) + increase(y[$__range])'
    five_minutes = gs.TimeRange(RANGE.start, RANGE.start.replace(minute=6))
    out = gs.expand_promql(expr, {"view": view, "views": views}, five_minutes, 1000, 1000)
    assert out == 'rate(x{view=~".*",v2=~"(a\\\\.b|c)"}[4s]) + increase(y[300s])'
    # Grafana's default for a 15 s scrape interval on a 6 h range: interval 20 s, rate 1 m.
    six_hours = gs.TimeRange(RANGE.start, RANGE.start.replace(hour=11))
    interval = gs.panel_interval_ms({}, six_hours, "15s")
    assert interval == 20000
    assert gs.expand_promql("[$__rate_interval]", {}, six_hours, interval, 15000) == "[1m]"


def test_relative_time_ranges():
    now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    assert gs.parse_relative("now-20y", now) == datetime(2006, 11, 25, 12, 0, tzinfo=UTC)
    assert gs.parse_relative("now-6h", now) == datetime(2026, 11, 25, 6, 0, tzinfo=UTC)
    assert gs.parse_relative("now", now) == now


# ------------------------------------------------------------------ metric helpers
def _sample(name, **labels):
    from prometheus_client import REGISTRY

    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_metric_helpers_count_what_they_are_given():
    before = _sample("healthplanner_task_runs_total", task="unit-test", status="success")
    failures = _sample("healthplanner_task_runs_total", task="unit-test", status="failure")
    metrics.record_task_run("unit-test", metrics.SUCCESS)
    assert _sample("healthplanner_task_runs_total", task="unit-test", status="success") == before + 1

    metrics.record_task_run("unit-test", metrics.FAILURE)
    assert _sample("healthplanner_task_runs_total", task="unit-test", status="failure") == failures + 1

    written = _sample("healthplanner_import_rows_total", source="unit-test", outcome="written")
    metrics.record_import_rows("unit-test", written=7, rejected=0)
    assert _sample("healthplanner_import_rows_total", source="unit-test", outcome="written") == written + 7
    assert _sample("healthplanner_import_rows_total", source="unit-test", outcome="rejected") == 0

    count = _sample("healthplanner_training_seconds_count")
    with metrics.TRAINING_SECONDS.time():
        pass
    assert _sample("healthplanner_training_seconds_count") == count + 1

    metrics.set_model_mae(target="stunting_u5_pct", level="district", version=3, mae=2.5)
    metrics.set_model_mae(target="stunting_u5_pct", level="district", version=4, mae=2.25)
    # One series per target and level, however many versions are trained: the latest wins.
    assert _sample("healthplanner_model_mae", target="stunting_u5_pct", level="district") == 2.25
    assert _sample("healthplanner_model_version", target="stunting_u5_pct", level="district") == 4
    from prometheus_client import REGISTRY
    series = [s for m in REGISTRY.collect() if m.name in ("healthplanner_model_mae", "healthplanner_model_version")
              for s in m.samples]
    assert all(set(s.labels) == {"target", "level"} for s in series), series


@pytest.mark.django_db
def test_modeling_runs_feed_the_task_and_training_metrics():
    """The task runner counts every modeling run by outcome and times every training, a
    failed one too (the successful path is checked through a real worker in
    test_grafana_prometheus.py)."""
    from modeling.models import TaskStatus
    from modeling.services.runs import run_now
    from modeling.services.training import MSG_UNKNOWN_TARGET
    from tests.modeling_helpers import TRAIN_PARAMS

    failures = _sample("healthplanner_task_runs_total", task="train_model", status="failure")
    successes = _sample("healthplanner_task_runs_total", task="train_model", status="success")
    timed = _sample("healthplanner_training_seconds_count")
    run = run_now(kind="train", params={**TRAIN_PARAMS, "target": "no_such_indicator"})
    assert run.status == TaskStatus.FAILED
    assert str(MSG_UNKNOWN_TARGET % {"code": "no_such_indicator"}) in run.error
    assert _sample("healthplanner_task_runs_total", task="train_model", status="failure") == failures + 1
    assert _sample("healthplanner_task_runs_total", task="train_model", status="success") == successes
    assert _sample("healthplanner_training_seconds_count") == timed + 1


@pytest.mark.django_db
def test_on_sqlite_the_reporting_migration_is_a_no_op_and_the_role_command_says_why():
    """The embedded SQLite default migrates (0004 does nothing there) and the role
    command explains that Grafana needs PostgreSQL."""
    from django.core.management import CommandError, call_command
    from django.db import connection

    from healthplanner.reporting import MSG_NOT_POSTGRES

    if connection.vendor == "postgresql":
        pytest.skip("checks the SQLite behaviour; the PostgreSQL side is in test_grafana_postgres.py")
    with pytest.raises(CommandError) as caught:
        call_command("create_grafana_role", role="grafana_reader", password="x")
    assert str(caught.value) == str(MSG_NOT_POSTGRES % {"vendor": "sqlite"})


def test_serve_metrics_needs_the_multiprocess_folder(monkeypatch):
    from django.core.management import CommandError, call_command

    from healthplanner.metrics_export import MSG_NO_MULTIPROC_DIR

    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    with pytest.raises(CommandError) as caught:
        call_command("serve_metrics", port=0)
    assert str(caught.value) == MSG_NO_MULTIPROC_DIR


def test_multiprocess_exporter_adds_up_every_process_files(tmp_path, monkeypatch):
    """Two processes' sample files in one folder come out as one sum (what serve_metrics
    serves for the django-q2 workers)."""
    import subprocess
    import sys
    import urllib.error
    import urllib.request

    from healthplanner.metrics_export import start_multiprocess_exporter, wipe_multiprocess_dir

    code = ("from healthplanner import metrics; "
            "metrics.record_import_rows('unit-src', written=5, rejected=1)")
    env = {"PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "PYTHONPATH": str(gs.ROOT), "PATH": "/usr/bin:/bin"}
    for _ in range(2):
        subprocess.run([sys.executable, "-c", code], env=env, check=True, cwd=gs.ROOT)
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    server = start_multiprocess_exporter(port=0, address="127.0.0.1", token="worker-token")
    url = f"http://127.0.0.1:{server.server_address[1]}/metrics"
    try:
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(url, timeout=5)
        request = urllib.request.Request(url, headers={"Authorization": "Bearer worker-token"})
        body = urllib.request.urlopen(request, timeout=5).read().decode()
    finally:
        server.shutdown()
    assert refused.value.code == 401
    assert 'healthplanner_import_rows_total{outcome="written",source="unit-src"} 10.0' in body
    assert 'healthplanner_import_rows_total{outcome="rejected",source="unit-src"} 2.0' in body
    wipe_multiprocess_dir(str(tmp_path))
    assert not list(tmp_path.glob("*.db"))
