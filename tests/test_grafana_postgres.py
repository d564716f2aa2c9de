"""Every SQL query of every dashboard, expanded as Grafana would expand it, run against
PostgreSQL as the Grafana role on the seeded demo data; and that role's rights.

The demo data and the role are committed once for this module (the role must log in on a
connection of its own, which cannot see another transaction's rows), and removed at the
end: the role dropped, the tables flushed. The model views read what the real modeling
services wrote on that demo: a trained version (tiny configuration), its scores and a plan.
"""
import math
import os
from datetime import date, datetime
from decimal import Decimal

import psycopg2
import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from healthplanner import reporting
from tests import grafana_support as gs

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="PostgreSQL only: the reporting views and the Grafana role do not exist on SQLite "
    "(set DATABASE_URL=postgres://… to run these tests)",
)

ROLE = f"hp_grafana_test_{os.getpid()}"
PASSWORD = "grafana-test-password"
VIEWS = [
    "departments", "communities", "indicators", "latest_indicator_values",
    "department_indicator_series", "district_indicator_distribution", "partners",
    "interventions", "intervention_budgets",
    # modeling/0003_reporting_model_views
    "model_versions", "model_version_metrics", "community_scores", "current_priorities", "plans",
    "plan_lines", "latest_plan_lines",
    # modeling/0010_reporting_model_evaluation
    "model_evaluation", "model_evaluation_departments",
]
PLAN_BUDGET = Decimal("400000")
SQL_TARGETS = gs.all_targets(gs.PG_TYPES)


def _connect(**overrides):
    cfg = connection.settings_dict
    params = dict(host=cfg["HOST"] or "127.0.0.1", port=cfg["PORT"] or 5432, dbname=cfg["NAME"],
                  user=cfg["USER"], password=cfg["PASSWORD"] or None)
    params.update(overrides)
    return psycopg2.connect(**params)


def _train_score_plan():
    """A model version, its scores and a plan, made by the real modeling services."""
    from modeling.models import TaskStatus
    from modeling.services.planning import plan_compute, plan_create
    from modeling.services.runs import run_now
    from tests.modeling_helpers import TRAIN_PARAMS

    train = run_now(kind="train", params=TRAIN_PARAMS)
    assert train.status == TaskStatus.SUCCEEDED, train.error
    score = run_now(kind="score", model_version=train.model_version)
    assert score.status == TaskStatus.SUCCEEDED, score.error
    plan_compute(plan=plan_create(budget_pen=PLAN_BUDGET, draws=20))


@pytest.fixture(scope="module")
def reporting_db(django_db_setup, django_db_blocker):
    from interventions.seed.demo import seed_demo

    with django_db_blocker.unblock():
        seed_demo(seed=11, departments=3)
        _train_score_plan()
        call_command("create_grafana_role", role=ROLE, password=PASSWORD, stdout=open(os.devnull, "w"))
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute(f'DROP OWNED BY "{ROLE}"')
                cursor.execute(f'DROP ROLE "{ROLE}"')
                # Give back what create_grafana_role took from PUBLIC in this test database.
                cursor.execute(f'GRANT TEMPORARY ON DATABASE "{connection.settings_dict["NAME"]}" TO PUBLIC')
            call_command("flush", interactive=False, verbosity=0)


@pytest.fixture(scope="module")
def grafana(reporting_db):
    """A connection as the Grafana role, with its password, like Grafana's."""
    conn = _connect(user=ROLE, password=PASSWORD)
    conn.autocommit = True
    yield conn
    conn.close()


def _rows(conn, sql):
    with conn.cursor() as cursor:
        cursor.execute(sql)
        columns = [c.name for c in cursor.description]
        return columns, cursor.fetchall()


def _sql_variables(dashboard):
    """The variables SQL queries may use: custom ones and those of the PostgreSQL source
    (a dashboard mixing sources, such as Modelos y operación, also has Prometheus ones)."""
    return [v for v in dashboard["templating"]["list"]
            if v["type"] == "custom" or v.get("datasource", {}).get("uid") == "hp-postgres"]


def _variables(conn, dashboard, time_range):
    """Every template variable's query run (as Grafana would, in order), and a value chosen."""
    values = {}
    for variable in _sql_variables(dashboard):
        if variable["type"] == "custom":
            options = [value for _text, value in gs.custom_options(variable["query"])]
        elif variable["type"] == "query":
            sql = gs.expand_sql(variable["query"], values, time_range, 60000)
            columns, rows = _rows(conn, sql)
            if "__value" in columns:
                options = [str(r[columns.index("__value")]) for r in rows]
                assert "__text" in columns
            else:
                options = [str(r[0]) for r in rows]
        else:
            raise AssertionError(f"unexpected variable type {variable['type']}")
        assert options, f"variable {variable['name']} offers nothing"
        values[variable["name"]] = gs.choose_value(variable, options)
    return values


def _pg_dashboards():
    return {name: d for name, d in gs.load_dashboards().items()
            if any(v.get("datasource", {}).get("uid") == "hp-postgres" for v in d["templating"]["list"])
            or any(t.dashboard_file == name for t in SQL_TARGETS)}


@pytest.mark.parametrize("name", sorted(n for n, d in _pg_dashboards().items() if _sql_variables(d)))
def test_every_template_variable_query_runs_as_the_grafana_role(grafana, name):
    dashboard = gs.load_dashboards()[name]
    values = _variables(grafana, dashboard, gs.TimeRange.of_dashboard(dashboard))
    assert set(values) == {v["name"] for v in _sql_variables(dashboard)}


def _is_number(value):
    return isinstance(value, (int, float)) or value.__class__.__name__ == "Decimal"


@pytest.mark.parametrize("target", SQL_TARGETS, ids=[t.id for t in SQL_TARGETS])
def test_every_sql_target_runs_and_returns_what_its_panel_uses(grafana, target):
    dashboard = target.dashboard
    time_range = gs.TimeRange.of_dashboard(dashboard)
    variables = _variables(grafana, dashboard, time_range)
    interval = gs.panel_interval_ms(target.panel, time_range, "1m")
    sql = gs.expand_sql(target.target["rawSql"], variables, time_range, interval)
    assert "$" not in sql, f"unexpanded Grafana syntax left in:\n{sql}"
    columns, rows = _rows(grafana, sql)
    assert rows, f"{target.id} returned no rows:\n{sql}"
    missing = gs.required_columns(target.panel, target.target) - set(columns)
    assert not missing, f"{target.id} lacks columns {missing}; has {columns}"
    numeric = [i for i, c in enumerate(columns)
               if any(r[i] is not None and _is_number(r[i]) for r in rows)]
    assert numeric, f"{target.id} has no numeric column to draw"
    if target.target.get("format", "time_series") == "time_series":
        # Grafana's time-series format needs a time column, sorted ascending.
        assert "time" in columns, f"{target.id}: time series without a time column"
        times = [r[columns.index("time")] for r in rows]
        assert all(isinstance(t, (datetime, date, int, float)) for t in times)
        assert times == sorted(times), f"{target.id}: rows not sorted by time"
    for i in numeric:
        for row in rows:
            if isinstance(row[i], float):
                assert math.isfinite(row[i])


def test_time_series_panels_show_several_departments_and_years(grafana):
    """The indicator series covers the demo's three departments over 2009–2024."""
    dashboard = gs.load_dashboards()["indicadores.json"]
    target = next(t for t in SQL_TARGETS if t.dashboard_file == "indicadores.json"
                  and t.panel["type"] == "timeseries")
    time_range = gs.TimeRange.of_dashboard(dashboard)
    sql = gs.expand_sql(target.target["rawSql"], _variables(grafana, dashboard, time_range), time_range, 60000)
    columns, rows = _rows(grafana, sql)
    assert {r[columns.index("metric")] for r in rows} == {"Amazonas", "Áncash", "Apurímac"}
    years = {r[0].year for r in rows}
    assert min(years) <= 2010 and max(years) == 2024


def test_latest_view_holds_the_latest_year_only(grafana):
    _, rows = _rows(grafana, "SELECT count(*), count(DISTINCT (community_code, indicator_code)), "
                             "min(year), max(year) FROM reporting.latest_indicator_values")
    total, distinct, low, high = rows[0]
    assert total == distinct > 0
    assert high == 2024
    # Each indicator's latest year: 2024 for the yearly demo series, 2017 for the census-only shares.
    _, rows = _rows(grafana, "SELECT indicator_code, min(year), max(year) FROM reporting.latest_indicator_values "
                             "GROUP BY indicator_code")
    latest = {code: (low, high) for code, low, high in rows}
    assert latest["poverty_pct"] == (2024, 2024) and latest["internet_pct"] == (2017, 2017)


def test_model_views_show_what_the_modeling_services_wrote(grafana, django_db_blocker):
    from modeling.models import CommunityScore, ModelStatus, ModelVersion, Plan, PlanStatus
    from modeling.services.evaluation import METHODS

    with django_db_blocker.unblock():
        version = ModelVersion.objects.select_related("target").get()
        scores = CommunityScore.objects.filter(version=version)
        n_scores = scores.count()
        top = scores.select_related("community").order_by("-priority").first()
        plan = Plan.objects.get()
        items = list(plan.items.order_by("rank").values_list("rank", "community__code", "cost_pen"))
    assert version.status == ModelStatus.ACTIVE and plan.status == PlanStatus.COMPUTED and items

    # One row per method (keras and each baseline), with the numbers the version holds.
    _, rows = _rows(grafana, "SELECT method, is_baseline, wmae, rmse, r2, coverage80 "
                             f"FROM reporting.model_version_metrics WHERE version_id = {version.pk}")
    expected = {"keras": version.metrics, **version.baselines}
    assert sorted(r[0] for r in rows) == sorted(METHODS)
    for method, is_baseline, *values in rows:
        assert is_baseline == (method != "keras")
        assert values == [expected[method][k] for k in ("wmae", "rmse", "r2", "coverage80")]
    # Both CV designs, every method, every metric: what the version stores, row for row.
    keys = ("wmae", "rmse", "r2", "crps", "coverage50", "coverage80", "coverage95", "winkler80")
    _, rows = _rows(grafana, "SELECT design, method, " + ", ".join(keys) + ", estimate_coverage80 "
                             f"FROM reporting.model_evaluation WHERE version_id = {version.pk}")
    assert sorted({r[0] for r in rows}) == ["department", "province"] and len(rows) == 2 * len(METHODS)
    for design, method, *values, estimate_coverage in rows:
        stored = version.evaluation[design]
        assert values == [stored["metrics"][method][k] for k in keys]
        assert estimate_coverage == stored["estimate_check"]["coverage80"]
    _, rows = _rows(grafana, "SELECT department_code, n_rows, method, wmae FROM reporting.model_evaluation_departments "
                             f"WHERE version_id = {version.pk} AND design = 'department'")
    per_department = version.evaluation["department"]["per_department"]
    assert len(rows) == len(per_department) * len(METHODS)
    for code, n_rows, method, wmae in rows:
        assert n_rows == per_department[code]["n"] and wmae == per_department[code][method]["wmae"]
    best = min(version.baselines, key=lambda m: (version.baselines[m]["wmae"], m))
    _, rows = _rows(grafana, "SELECT target_code, status, wmae, best_baseline, best_baseline_wmae, scored "
                             "FROM reporting.model_versions")
    assert rows == [("stunting_u5_pct", "active", version.metrics["wmae"], best,
                     version.baselines[best]["wmae"], True)]

    # The active version's priorities: every scored district, rank 1 the highest priority,
    # with its interval, components, department and centroid.
    _, rows = _rows(grafana, "SELECT count(*), count(DISTINCT community_code), min(priority_rank), "
                             "bool_and(lower <= predicted AND predicted <= upper), "
                             "bool_and(department_code = left(community_code, 2)), "
                             "bool_and(latitude IS NOT NULL AND department_name IS NOT NULL) "
                             "FROM reporting.current_priorities")
    assert rows == [(n_scores, n_scores, 1, True, True, True)]
    _, rows = _rows(grafana, "SELECT community_code, version_id, priority, burden_component, equity_component, "
                             "cost_effectiveness_component FROM reporting.current_priorities WHERE priority_rank = 1")
    assert rows == [(top.community.code, version.pk, top.priority, top.burden_component, top.equity_component,
                     top.cost_effectiveness_component)]

    # The latest plan's lines are the plan's items, in rank order; any plan by id too.
    _, rows = _rows(grafana, "SELECT rank, community_code, cost_pen FROM reporting.latest_plan_lines ORDER BY rank")
    assert rows == items
    _, rows = _rows(grafana, f"SELECT count(*), sum(cost_pen) FROM reporting.plan_lines WHERE plan_id = {plan.pk}")
    assert rows == [(len(items), plan.total_cost_pen)]
    _, rows = _rows(grafana, "SELECT plan_id, is_latest, lines, budget_pen, version_id FROM reporting.plans")
    assert rows == [(plan.pk, True, len(items), PLAN_BUDGET, version.pk)]


def test_the_modeling_runs_published_their_metrics(grafana, django_db_blocker):
    """The fixture's train and score runs (in this process) were counted, and the new
    version's MAE is the gauge's value."""
    from prometheus_client import REGISTRY

    from modeling.models import ModelVersion

    with django_db_blocker.unblock():
        version = ModelVersion.objects.select_related("target").get()
    labels = {"target": version.target.code, "level": version.level}
    assert REGISTRY.get_sample_value("healthplanner_model_mae", labels) == version.metrics["wmae"]
    assert REGISTRY.get_sample_value("healthplanner_model_version", labels) == version.pk
    for task in ("train_model", "score_communities"):
        assert REGISTRY.get_sample_value("healthplanner_task_runs_total", {"task": task, "status": "success"}) >= 1
    assert REGISTRY.get_sample_value("healthplanner_training_seconds_count") >= 1


def test_prioridades_defaults_to_the_active_model_version(grafana, django_db_blocker):
    from modeling.models import ModelVersion

    with django_db_blocker.unblock():
        active = ModelVersion.objects.get(status="active")
    dashboard = gs.load_dashboards()["prioridades.json"]
    values = _variables(grafana, dashboard, gs.TimeRange.of_dashboard(dashboard))
    assert values["indicator"].value == "stunting_u5_pct"
    assert values["version"].value == str(active.pk)


def test_grafana_role_reads_every_reporting_view(grafana):
    for view in VIEWS:
        columns, rows = _rows(grafana, f"SELECT * FROM reporting.{view} LIMIT 5")
        assert rows, view


def test_grafana_role_reads_no_other_table_and_writes_nothing(grafana, reporting_db):
    admin = _connect()
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_schema NOT IN ('pg_catalog', 'information_schema', 'reporting')"
        )
        tables = cursor.fetchall()
    admin.close()
    assert ("public", "auth_user") in tables and len(tables) > 20
    grafana.autocommit = False
    try:
        for schema, table in tables:
            with pytest.raises(psycopg2.errors.InsufficientPrivilege):
                with grafana.cursor() as cursor:
                    cursor.execute(f'SELECT 1 FROM "{schema}"."{table}" LIMIT 1')
            grafana.rollback()
        writes = [
            "INSERT INTO public.interventions_partner (name, acronym, kind, website, contact_email, is_active) "
            "VALUES ('x', 'x', 'ngo', '', '', true)",
            "UPDATE public.interventions_indicator SET name = 'x'",
            "DELETE FROM public.auth_user",
            "CREATE TABLE public.grafana_was_here (i int)",
            "CREATE TABLE reporting.grafana_was_here (i int)",
            "CREATE VIEW reporting.grafana_view AS SELECT 1",
            "CREATE TEMPORARY TABLE grafana_temp (i int)",
            "CREATE SCHEMA grafana_schema",
            "DROP VIEW reporting.departments",
            "TRUNCATE public.interventions_community",
        ]
        for statement in writes:
            for read_write in (False, True):
                with pytest.raises((psycopg2.errors.InsufficientPrivilege,
                                    psycopg2.errors.ReadOnlySqlTransaction)) as caught:
                    with grafana.cursor() as cursor:
                        if read_write:
                            # Even after lifting the read-only default, the rights are missing.
                            cursor.execute("SET TRANSACTION READ WRITE")
                        cursor.execute(statement)
                if read_write:
                    assert isinstance(caught.value, psycopg2.errors.InsufficientPrivilege), statement
                grafana.rollback()
    finally:
        grafana.rollback()
        grafana.autocommit = True


def test_grafana_role_gets_views_added_later(grafana, reporting_db, django_db_blocker):
    """Default privileges: a view a later migration adds is readable without re-running
    the command."""
    with django_db_blocker.unblock():
        with connection.cursor() as cursor:
            cursor.execute("CREATE VIEW reporting.added_later AS SELECT 1 AS one")
        try:
            assert _rows(grafana, "SELECT one FROM reporting.added_later")[1] == [(1,)]
        finally:
            with connection.cursor() as cursor:
                cursor.execute("DROP VIEW reporting.added_later")


@pytest.mark.django_db
def test_create_grafana_role_refuses_bad_input():
    with pytest.raises(CommandError) as caught:
        call_command("create_grafana_role", role="Grafana; DROP", password="x")
    assert str(caught.value) == str(reporting.MSG_BAD_ROLE_NAME % {"role": "Grafana; DROP"})
    with pytest.raises(CommandError) as caught:
        call_command("create_grafana_role", role="grafana_reader_x", password="")
    assert str(caught.value) == str(reporting.MSG_NO_PASSWORD)
    app_user = connection.settings_dict["USER"]
    with pytest.raises(CommandError) as caught:
        call_command("create_grafana_role", role=app_user, password="x")
    assert str(caught.value) == str(reporting.MSG_ROLE_IS_APP_USER % {"role": app_user})


@pytest.mark.django_db
def test_create_grafana_role_is_idempotent(capsys):
    role = f"hp_grafana_idem_{os.getpid()}"
    call_command("create_grafana_role", role=role, password="a")
    call_command("create_grafana_role", role=role, password="b")
    out = capsys.readouterr().out.splitlines()
    name = connection.settings_dict["NAME"]
    assert out == [
        f"Created role {role}: it can read the reporting views of {name} and nothing else.",
        f"Updated role {role}: it can read the reporting views of {name} and nothing else.",
    ]
    # The test transaction rolls back, role included.


@pytest.mark.django_db
def test_reporting_migration_reverses_and_reapplies():
    """The reverse SQL drops every view and the schema; the forward SQL brings them back
    (PostgreSQL runs DDL in the test's transaction, which rolls it all back)."""
    import importlib

    migration = importlib.import_module("interventions.migrations.0004_reporting_views")
    models_migration = importlib.import_module("modeling.migrations.0003_reporting_model_views")
    evaluation_migration = importlib.import_module("modeling.migrations.0010_reporting_model_evaluation")

    def views():
        with connection.cursor() as cursor:
            cursor.execute("SELECT table_name FROM information_schema.views WHERE table_schema = 'reporting'")
            return sorted(r[0] for r in cursor.fetchall())

    assert views() == sorted(VIEWS)
    with connection.cursor() as cursor:
        # Reversed in dependency order: the modeling views first, then the schema's own.
        for name in evaluation_migration.VIEWS:
            cursor.execute(f"DROP VIEW reporting.{name}")
        for statement in models_migration._reverse_sql():
            cursor.execute(statement)
        assert views() == sorted(set(VIEWS) - set(models_migration.ORDER) - set(evaluation_migration.VIEWS))
        for statement in migration._reverse_sql():
            cursor.execute(statement)
        cursor.execute("SELECT count(*) FROM pg_namespace WHERE nspname = 'reporting'")
        assert cursor.fetchone()[0] == 0
        for statement in migration._forward_sql() + models_migration._forward_sql() + evaluation_migration._forward():
            cursor.execute(statement)
    assert views() == sorted(VIEWS)
