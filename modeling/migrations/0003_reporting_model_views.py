"""The modeling side of the ``reporting`` schema: model versions with their metrics next
to the baselines', community scores and current priorities, plans and their lines.

Same contract as ``interventions/0004_reporting_views``: Grafana reads only these views,
PostgreSQL only (a no-op on SQLite). The views read the application's tables directly
(not the interventions views), so either set can be replaced on its own.
"""
from django.db import migrations

_DEPARTMENT_JOIN = """
        LEFT JOIN interventions_community d
               ON d.code = left(c.code, 2) AND d.level = 'department' AND c.level <> 'country'
"""

_DEPARTMENT_CODE = "CASE WHEN c.level <> 'country' THEN left(c.code, 2) END"

VIEWS = {
    # One row per version; the Keras metrics and the best baseline's weighted MAE.
    "model_versions": """
        SELECT v.id AS version_id,
               'v' || v.id || ' ' || i.code || ' ' || v.level || ' ' || v.target_year
                   || ' (' || v.status || ')' AS version_label,
               i.code AS target_code, i.name AS target_name, i.unit, v.level, v.target_year,
               v.status, v.status = 'active' AS is_active, v.n_rows, v.training_seconds,
               v.fingerprint, v.created_at, v.promoted_at,
               (v.metrics ->> 'wmae')::float8 AS wmae,
               (v.metrics ->> 'rmse')::float8 AS rmse,
               (v.metrics ->> 'r2')::float8 AS r2,
               (v.metrics ->> 'coverage80')::float8 AS coverage80,
               best.method AS best_baseline,
               best.wmae AS best_baseline_wmae,
               EXISTS (SELECT 1 FROM modeling_communityscore s WHERE s.version_id = v.id) AS scored
        FROM modeling_modelversion v
        JOIN interventions_indicator i ON i.id = v.target_id
        LEFT JOIN LATERAL (
            SELECT b.key AS method, (b.value ->> 'wmae')::float8 AS wmae
            FROM jsonb_each(v.baselines) b
            ORDER BY (b.value ->> 'wmae')::float8 NULLS LAST, b.key
            LIMIT 1
        ) best ON true
    """,
    # One row per version and method: the Keras model ('keras') and each baseline,
    # measured on the same department-grouped folds.
    "model_version_metrics": """
        SELECT v.id AS version_id,
               'v' || v.id AS version_name,
               i.code AS target_code, v.level, v.target_year, v.status, v.created_at,
               m.method, m.method <> 'keras' AS is_baseline,
               (m.metrics ->> 'wmae')::float8 AS wmae,
               (m.metrics ->> 'rmse')::float8 AS rmse,
               (m.metrics ->> 'r2')::float8 AS r2,
               (m.metrics ->> 'coverage80')::float8 AS coverage80
        FROM modeling_modelversion v
        JOIN interventions_indicator i ON i.id = v.target_id
        CROSS JOIN LATERAL (
            SELECT 'keras' AS method, v.metrics AS metrics
            WHERE v.metrics <> '{}'::jsonb
            UNION ALL
            SELECT b.key, b.value FROM jsonb_each(v.baselines) b
        ) m
    """,
    # Every version's scores: predicted burden with its 80% interval, the priority and its
    # components, the community's department and centroid; rank 1 = highest priority.
    "community_scores": f"""
        SELECT s.version_id, v.status AS version_status, i.code AS target_code,
               i.name AS target_name, i.unit, v.level,
               c.code AS community_code, c.name AS community_name,
               {_DEPARTMENT_CODE} AS department_code, d.name AS department_name,
               c.latitude, c.longitude, c.population,
               s.year, s.observed, s.predicted, s.lower, s.upper,
               s.upper - s.lower AS interval_width,
               s.target_population, s.cases, s.poverty,
               s.priority, s.burden_component, s.equity_component,
               s.cost_effectiveness_component,
               (s.interventions -> '_combined' ->> 'cases_averted')::float8 AS cases_averted_all,
               rank() OVER (PARTITION BY s.version_id ORDER BY s.priority DESC) AS priority_rank
        FROM modeling_communityscore s
        JOIN modeling_modelversion v ON v.id = s.version_id
        JOIN interventions_indicator i ON i.id = v.target_id
        JOIN interventions_community c ON c.id = s.community_id
        {_DEPARTMENT_JOIN}
    """,
    "current_priorities": """
        SELECT * FROM reporting.community_scores WHERE version_status = 'active'
    """,
    # One row per plan; is_latest marks the most recently computed one.
    "plans": """
        SELECT p.id AS plan_id,
               coalesce(nullif(p.name, ''), 'Plan ' || p.id) AS plan_name,
               p.status, p.budget_pen, p.total_cost_pen, p.total_cases_averted,
               p.cases_averted_lower, p.cases_averted_upper, p.objective,
               p.equity_weight, p.max_coverage, p.draws,
               p.model_version_id AS version_id, i.code AS target_code,
               r.code AS region_code, r.name AS region_name,
               p.created_at, p.computed_at,
               (SELECT count(*) FROM modeling_planitem it WHERE it.plan_id = p.id) AS lines,
               p.id = (SELECT l.id FROM modeling_plan l WHERE l.status = 'computed'
                       ORDER BY l.computed_at DESC NULLS LAST, l.id DESC LIMIT 1) AS is_latest
        FROM modeling_plan p
        LEFT JOIN modeling_modelversion v ON v.id = p.model_version_id
        LEFT JOIN interventions_indicator i ON i.id = v.target_id
        LEFT JOIN interventions_community r ON r.id = p.region_id
    """,
    # Every line of every plan (filter on plan_id), with its community and type.
    "plan_lines": f"""
        SELECT it.plan_id, coalesce(nullif(p.name, ''), 'Plan ' || p.id) AS plan_name,
               p.computed_at, it.rank,
               c.code AS community_code, c.name AS community_name, c.level,
               {_DEPARTMENT_CODE} AS department_code, d.name AS department_name,
               c.latitude, c.longitude,
               t.code AS intervention_type_code, t.name AS intervention_type_name,
               t.category, t.target_group,
               it.beneficiaries, it.coverage_before, it.coverage_after, it.cost_pen,
               it.cases_averted, it.cases_averted_lower, it.cases_averted_upper,
               it.selection_probability, it.reason
        FROM modeling_planitem it
        JOIN modeling_plan p ON p.id = it.plan_id
        JOIN interventions_community c ON c.id = it.community_id
        JOIN interventions_interventiontype t ON t.id = it.intervention_type_id
        {_DEPARTMENT_JOIN}
    """,
    "latest_plan_lines": """
        SELECT l.* FROM reporting.plan_lines l
        WHERE l.plan_id = (SELECT p.id FROM modeling_plan p WHERE p.status = 'computed'
                           ORDER BY p.computed_at DESC NULLS LAST, p.id DESC LIMIT 1)
    """,
}

ORDER = [
    "model_versions",
    "model_version_metrics",
    "community_scores",
    "current_priorities",
    "plans",
    "plan_lines",
    "latest_plan_lines",
]

COMMENTS = {
    "model_versions": "One row per model version: target, status, cross-validated metrics and the best baseline.",
    "model_version_metrics": "One row per model version and method (keras and each baseline) with wmae, rmse, r2 and coverage80 on the same folds.",
    "community_scores": "Scores of every model version per community: predicted burden, 80% interval, priority and its components, department and centroid.",
    "current_priorities": "The scores of the active model version of each target.",
    "plans": "Budget plans with their totals; is_latest marks the most recently computed plan.",
    "plan_lines": "Every line of every plan, with its community, department and intervention type.",
    "latest_plan_lines": "The lines of the most recently computed plan.",
}


def _forward_sql():
    statements = []
    for name in ORDER:
        statements.append(f"CREATE OR REPLACE VIEW reporting.{name} AS {VIEWS[name]}")
        comment = COMMENTS[name].replace("'", "''")
        statements.append(f"COMMENT ON VIEW reporting.{name} IS '{comment}'")
    return statements


def _reverse_sql():
    return [f"DROP VIEW IF EXISTS reporting.{name}" for name in reversed(ORDER)]


class PostgresOnlyRunSQL(migrations.RunSQL):
    """RunSQL that does nothing on other databases (SQLite has no schemas)."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    dependencies = [
        ("modeling", "0002_schedules"),
        ("interventions", "0004_reporting_views"),
    ]

    operations = [PostgresOnlyRunSQL(sql=_forward_sql(), reverse_sql=_reverse_sql())]
