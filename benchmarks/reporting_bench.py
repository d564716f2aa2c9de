"""Time every reporting view on the data in DATABASE_URL (PostgreSQL).

Usage (the full demo, 25 departments, is the realistic size for the views; the model
views need a trained and scored version and a computed plan):
    DJANGO_DEBUG=1 DATABASE_URL=postgres://... python manage.py seed_demo
    DJANGO_DEBUG=1 DATABASE_URL=postgres://... python manage.py train_model ... (then score_communities, make_plan)
    DJANGO_DEBUG=1 DATABASE_URL=postgres://... python benchmarks/reporting_bench.py [--repeat 5]

For each view it prints two lines: reading the whole view, and the query shape the
dashboards send (filtered by indicator and department, as a panel does). Figures are the
best of --repeat runs, in milliseconds. The target is under 100 ms per dashboard query.
"""
import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "healthplanner.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

_ACTIVE_VERSION = ("(SELECT version_id FROM reporting.model_versions WHERE is_active "
                   "AND target_code = 'stunting_u5_pct')")

# view -> the filter a dashboard panel puts on it
DASHBOARD_FILTERS = {
    "departments": "",
    "communities": "WHERE department_code IN ('01', '02', '03')",
    "indicators": "",
    "latest_indicator_values": "WHERE level = 'district' AND indicator_code = 'stunting_u5_pct' "
                               "AND department_code IN ('01', '02', '03')",
    "department_indicator_series": "WHERE indicator_code = 'stunting_u5_pct' "
                                   "AND department_code IN ('01', '02', '03') "
                                   "AND time BETWEEN '2006-01-01T00:00:00Z' AND '2026-01-01T00:00:00Z'",
    "district_indicator_distribution": "WHERE indicator_code = 'stunting_u5_pct' "
                                       "AND department_code IN ('01', '02', '03')",
    "partners": "",
    "interventions": "WHERE department_code IN ('01', '02', '03') AND status IN ('planned', 'active')",
    "intervention_budgets": "WHERE department_code IN ('01', '02', '03') "
                            "AND month BETWEEN '2016-01-01T00:00:00Z' AND '2026-12-31T00:00:00Z'",
    # modeling/0003_reporting_model_views
    "model_versions": "WHERE target_code = 'stunting_u5_pct' AND scored",
    "model_version_metrics": "WHERE version_id IN (SELECT version_id FROM reporting.model_versions "
                             "ORDER BY version_id DESC LIMIT 12)",
    "community_scores": f"WHERE version_id = {_ACTIVE_VERSION} AND department_code IN ('01', '02', '03') "
                        "ORDER BY priority DESC LIMIT 50",
    "current_priorities": "WHERE target_code = 'stunting_u5_pct' AND department_code IN ('01', '02', '03')",
    "plans": "WHERE is_latest",
    "plan_lines": "WHERE plan_id = (SELECT plan_id FROM reporting.plans WHERE is_latest) "
                  "AND department_code IN ('01', '02', '03')",
    "latest_plan_lines": "WHERE department_code IN ('01', '02', '03') ORDER BY rank LIMIT 200",
}


THREE = "('01', '02', '03')"
ALL_DEPARTMENTS = "(" + ", ".join(f"'{n:02d}'" for n in range(1, 26)) + ")"


def best_ms(cursor, sql, repeat):
    best, rows = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        cursor.execute(sql)
        rows = cursor.fetchall()
        best = min(best, (time.perf_counter() - started) * 1000)
    return best, len(rows)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("The reporting views exist on PostgreSQL only: set DATABASE_URL=postgres://...")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM interventions_indicatorvalue")
        values = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM interventions_community")
        communities = cursor.fetchone()[0]
        cursor.execute("SELECT (SELECT count(*) FROM modeling_modelversion), "
                       "(SELECT count(*) FROM modeling_communityscore), (SELECT count(*) FROM modeling_planitem)")
        versions, scores, plan_items = cursor.fetchone()
        print(f"reporting views on {connection.settings_dict['NAME']}: {communities} communities, "
              f"{values} indicator values, {versions} model versions, {scores} community scores, "
              f"{plan_items} plan lines; best of {args.repeat}, in ms")
        if not values:
            sys.exit("No data: run `manage.py seed_demo` first.")
        for view, where in DASHBOARD_FILTERS.items():
            full_ms, full_rows = best_ms(cursor, f"SELECT * FROM reporting.{view}", args.repeat)
            print(f"reporting.{view:<32} whole view      {full_ms:8.1f} ms  {full_rows:7d} rows")
            if where:
                ms, n = best_ms(cursor, f"SELECT * FROM reporting.{view} {where}", args.repeat)
                scope = "  (3 departments)" if THREE in where else ""
                print(f"reporting.{view:<32} dashboard query {ms:8.1f} ms  {n:7d} rows{scope}")
            if THREE in where:
                # The dashboards' default: every department selected ("All").
                everything = where.replace(THREE, ALL_DEPARTMENTS)
                ms, n = best_ms(cursor, f"SELECT * FROM reporting.{view} {everything}", args.repeat)
                print(f"reporting.{view:<32} dashboard query {ms:8.1f} ms  {n:7d} rows  (all departments)")


if __name__ == "__main__":
    main()
