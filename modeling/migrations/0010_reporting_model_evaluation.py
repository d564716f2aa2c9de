"""``reporting.model_evaluation`` and ``reporting.model_evaluation_departments``: every
version's cross-validated metrics per design (department- and province-grouped) and
method, and per held-out department, for the Modelos dashboard. PostgreSQL only."""
from django.db import migrations

import importlib

PostgresOnlyRunSQL = importlib.import_module("modeling.migrations.0003_reporting_model_views").PostgresOnlyRunSQL

METRICS = ("wmae", "rmse", "r2", "crps", "coverage50", "coverage80", "coverage95", "winkler80")

VIEWS = {
    "model_evaluation": """
        SELECT v.id AS version_id, 'v' || v.id AS version_name, i.code AS target_code, v.level,
               v.target_year, v.status, v.status = 'active' AS is_active, d.key AS design,
               m.key AS method, m.key <> 'keras' AS is_baseline,
               """ + ",\n               ".join(f"(m.value ->> '{k}')::float8 AS {k}" for k in METRICS) + """,
               (d.value -> 'estimate_check' ->> 'coverage80')::float8 AS estimate_coverage80
        FROM modeling_modelversion v
        JOIN interventions_indicator i ON i.id = v.target_id
        CROSS JOIN LATERAL jsonb_each(v.evaluation) d
        CROSS JOIN LATERAL jsonb_each(d.value -> 'metrics') m
    """,
    "model_evaluation_departments": """
        SELECT v.id AS version_id, i.code AS target_code, v.status, v.status = 'active' AS is_active,
               d.key AS design, p.key AS department_code, c.name AS department_name,
               (p.value ->> 'n')::int AS n_rows, m.key AS method,
               (m.value ->> 'wmae')::float8 AS wmae,
               (m.value ->> 'crps')::float8 AS crps,
               (m.value ->> 'coverage80')::float8 AS coverage80
        FROM modeling_modelversion v
        JOIN interventions_indicator i ON i.id = v.target_id
        CROSS JOIN LATERAL jsonb_each(v.evaluation) d
        CROSS JOIN LATERAL jsonb_each(d.value -> 'per_department') p
        CROSS JOIN LATERAL jsonb_each(p.value) m
        LEFT JOIN interventions_community c ON c.code = p.key AND c.level = 'department'
        WHERE m.key <> 'n'
    """,
}
COMMENTS = {
    "model_evaluation": "One row per model version, CV design (department, province) and method: wmae, rmse, r2, "
                        "crps, coverage50/80/95, winkler80, and the held-out coverage of the small-area estimate.",
    "model_evaluation_departments": "One row per model version, CV design, held-out department and method: "
                                    "wmae, crps and coverage80 of the districts of that department.",
}


def _forward():
    out = []
    for name, body in VIEWS.items():
        out.append(f"CREATE OR REPLACE VIEW reporting.{name} AS {body}")
        out.append(f"COMMENT ON VIEW reporting.{name} IS '{COMMENTS[name]}'")
    return out


class Migration(migrations.Migration):
    dependencies = [("modeling", "0009_evaluation_designs")]

    operations = [PostgresOnlyRunSQL(
        sql=_forward(), reverse_sql=[f"DROP VIEW IF EXISTS reporting.{name}" for name in VIEWS])]
