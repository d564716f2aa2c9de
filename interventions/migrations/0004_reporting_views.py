"""The ``reporting`` schema: the read-only contract between the application's tables and
Grafana.

Dashboards read only these views, so the tables can change without breaking them: a
change of the tables changes the views here, in a migration, and the dashboard tests
prove every panel still runs. PostgreSQL only; on SQLite (the embedded demo default) this
migration does nothing.

Conventions: codes are the application's codes (``district``, ``planned``); ``time``
columns are ``timestamptz`` at 00:00 UTC of the period's first day, so Grafana's time
macros work on them; one value per community, indicator and year (when several sources
report the same year, the most recently written row wins).
"""
from django.db import migrations

# One value per (community, indicator, year): the most recently written row. The probe
# uses the (community, indicator, year, source) unique index.
_ONE_PER_YEAR = """
    NOT EXISTS (
        SELECT 1 FROM interventions_indicatorvalue n
        WHERE n.community_id = v.community_id AND n.indicator_id = v.indicator_id
          AND n.year = v.year AND n.id > v.id
    )
"""

_YEAR_START = "make_timestamptz(v.year, 1, 1, 0, 0, 0, 'UTC')"

VIEWS = {
    "departments": """
        SELECT c.code, c.name, c.latitude, c.longitude, c.altitude_m
        FROM interventions_community c
        WHERE c.level = 'department'
    """,
    "communities": """
        SELECT c.code, c.name, c.level, p.code AS parent_code,
               CASE WHEN c.level <> 'country' THEN left(c.code, 2) END AS department_code,
               d.name AS department_name,
               CASE WHEN c.level IN ('province', 'district') THEN left(c.code, 4) END AS province_code,
               c.population, c.altitude_m, c.latitude, c.longitude, c.area_km2
        FROM interventions_community c
        LEFT JOIN interventions_community p ON p.id = c.parent_id
        LEFT JOIN interventions_community d
               ON d.code = left(c.code, 2) AND d.level = 'department' AND c.level <> 'country'
    """,
    "indicators": """
        SELECT i.code, i.name, i.unit, i.category, i.direction, i.min_value, i.max_value,
               i.source
        FROM interventions_indicator i
    """,
    # One index probe per (community, indicator): filters on the community or the
    # indicator apply before the probes, so a dashboard's query touches few rows.
    "latest_indicator_values": """
        SELECT c.code AS community_code, c.name AS community_name, c.level,
               CASE WHEN c.level <> 'country' THEN left(c.code, 2) END AS department_code,
               d.name AS department_name,
               CASE WHEN c.level IN ('province', 'district') THEN left(c.code, 4) END AS province_code,
               c.population, c.latitude, c.longitude,
               i.code AS indicator_code, i.name AS indicator_name, i.unit, i.direction,
               v.year, make_timestamptz(v.year, 1, 1, 0, 0, 0, 'UTC') AS time,
               v.value, v.lower, v.upper, v.sample_size, v.source
        FROM interventions_community c
        CROSS JOIN interventions_indicator i
        CROSS JOIN LATERAL (
            SELECT lv.year, lv.value, lv.lower, lv.upper, lv.sample_size, lv.source
            FROM interventions_indicatorvalue lv
            WHERE lv.community_id = c.id AND lv.indicator_id = i.id
            ORDER BY lv.year DESC, lv.id DESC
            LIMIT 1
        ) v
        LEFT JOIN interventions_community d
               ON d.code = left(c.code, 2) AND d.level = 'department' AND c.level <> 'country'
    """,
    "department_indicator_series": f"""
        SELECT d.code AS department_code, d.name AS department_name,
               i.code AS indicator_code, i.name AS indicator_name, i.unit,
               v.year, {_YEAR_START} AS time,
               v.value, v.lower, v.upper, v.sample_size, v.source
        FROM interventions_indicatorvalue v
        JOIN interventions_community d ON d.id = v.community_id AND d.level = 'department'
        JOIN interventions_indicator i ON i.id = v.indicator_id
        WHERE {_ONE_PER_YEAR}
    """,
    # The spread of each indicator's latest value across a department's districts.
    "district_indicator_distribution": """
        SELECT department_code, department_name, indicator_code, unit,
               min(year) AS earliest_year, max(year) AS latest_year,
               count(*) AS districts,
               min(value) AS min,
               percentile_cont(0.25) WITHIN GROUP (ORDER BY value) AS p25,
               percentile_cont(0.5) WITHIN GROUP (ORDER BY value) AS median,
               percentile_cont(0.75) WITHIN GROUP (ORDER BY value) AS p75,
               max(value) AS max,
               avg(value) AS mean
        FROM reporting.latest_indicator_values
        WHERE level = 'district'
        GROUP BY department_code, department_name, indicator_code, unit
    """,
    "partners": """
        SELECT p.id, p.name, coalesce(nullif(p.acronym, ''), p.name) AS label, p.kind,
               p.is_active
        FROM interventions_partner p
    """,
    "interventions": """
        SELECT iv.id, c.code AS community_code, c.name AS community_name, c.level,
               CASE WHEN c.level <> 'country' THEN left(c.code, 2) END AS department_code,
               d.name AS department_name,
               t.code AS intervention_type_code, t.name AS intervention_type_name,
               t.category, t.target_group, ind.code AS indicator_code,
               p.name AS partner_name, coalesce(nullif(p.acronym, ''), p.name) AS partner_label,
               p.kind AS partner_kind,
               iv.status, iv.start_date, iv.end_date,
               iv.start_date::timestamp AT TIME ZONE 'UTC' AS start_time,
               iv.budget_pen, iv.beneficiaries
        FROM interventions_intervention iv
        JOIN interventions_community c ON c.id = iv.community_id
        JOIN interventions_interventiontype t ON t.id = iv.intervention_type_id
        JOIN interventions_indicator ind ON ind.id = t.indicator_id
        JOIN interventions_partner p ON p.id = iv.partner_id
        LEFT JOIN interventions_community d
               ON d.code = left(c.code, 2) AND d.level = 'department' AND c.level <> 'country'
    """,
    "intervention_budgets": """
        SELECT department_code, department_name, status, partner_name, partner_label,
               category,
               date_trunc('month', start_date::timestamp) AT TIME ZONE 'UTC' AS month,
               count(*) AS interventions,
               sum(budget_pen) AS budget_pen,
               coalesce(sum(beneficiaries), 0) AS beneficiaries
        FROM reporting.interventions
        GROUP BY department_code, department_name, status, partner_name, partner_label,
                 category, date_trunc('month', start_date::timestamp)
    """,
}

# Views are created in this order (later ones may read earlier ones) and dropped in reverse.
ORDER = [
    "departments",
    "communities",
    "indicators",
    "latest_indicator_values",
    "department_indicator_series",
    "district_indicator_distribution",
    "partners",
    "interventions",
    "intervention_budgets",
]

COMMENTS = {
    "departments": "Departments with their capital coordinates.",
    "communities": "Every community with its department and province codes and centroid.",
    "indicators": "The indicator catalogue.",
    "latest_indicator_values": "The value of the most recent year of every indicator for every community.",
    "department_indicator_series": "Yearly value of every indicator per department.",
    "district_indicator_distribution": "Distribution of the latest value of each indicator across the districts of each department.",
    "partners": "Partner organisations.",
    "interventions": "One row per intervention with its department, type and partner.",
    "intervention_budgets": "Interventions, budget and beneficiaries by department, status, partner, category and start month.",
}


def _forward_sql():
    statements = [
        "CREATE SCHEMA IF NOT EXISTS reporting",
        "COMMENT ON SCHEMA reporting IS 'Read-only reporting contract for Grafana (healthplanner).'",
    ]
    for name in ORDER:
        statements.append(f"CREATE OR REPLACE VIEW reporting.{name} AS {VIEWS[name]}")
        comment = COMMENTS[name].replace("'", "''")
        statements.append(f"COMMENT ON VIEW reporting.{name} IS '{comment}'")
    return statements


def _reverse_sql():
    return [f"DROP VIEW IF EXISTS reporting.{name}" for name in reversed(ORDER)] + [
        # The schema goes only when nothing else (a later migration's view) lives in it.
        "DROP SCHEMA IF EXISTS reporting RESTRICT"
    ]


class PostgresOnlyRunSQL(migrations.RunSQL):
    """RunSQL that does nothing on other databases (SQLite has no schemas)."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    dependencies = [("interventions", "0003_ingest_value_indexes")]

    operations = [PostgresOnlyRunSQL(sql=_forward_sql(), reverse_sql=_reverse_sql())]
