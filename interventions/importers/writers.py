"""Writing a checked plan: its communities level by level, its values keyed by
(community, indicator, year) within their source.

Values go in by PostgreSQL ``COPY`` into a temporary table and one
``INSERT … ON CONFLICT … DO UPDATE … WHERE changed`` whose returned rows are copied into
the history table in the same statement, so a new version of a source replaces its
values while the old ones stay in history. On other databases the same happens with
``bulk_create_with_history`` / ``bulk_update_with_history``.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from django.db import connection
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from healthplanner.db import copy_rows

from ..choices import Level
from ..models import Community, ImportBatch, IndicatorValue
from . import messages as M
from .base import ImportPlan
from .checks import Rejected
from .reading import CellError

__all__ = ["VALUE_COLUMNS", "write_values", "write_communities"]

VALUE_COLUMNS = ["community_id", "indicator_id", "year", "value", "lower", "upper", "sample_size"]


def _clean_frame(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame[VALUE_COLUMNS].copy()
    out["community_id"] = out["community_id"].astype("int64")
    out["indicator_id"] = out["indicator_id"].astype("int64")
    out["year"] = out["year"].astype("int64")
    out["value"] = out["value"].astype(float)
    out["lower"] = out["lower"].astype(float)
    out["upper"] = out["upper"].astype(float)
    out["sample_size"] = out["sample_size"].astype("Int64")
    return out


def write_values(*, frame: pd.DataFrame, source: str, batch: ImportBatch, user=None, history: bool = True) -> dict:
    """Insert new keys, update changed ones, leave identical ones alone; history for
    every created or changed row. Returns counts."""
    frame = _clean_frame(frame)
    if frame.empty:
        return {"values_created": 0, "values_updated": 0, "values_unchanged": 0}
    if connection.vendor == "postgresql":
        created, updated = _write_values_postgres(frame, source=source, batch=batch, user=user, history=history)
    else:
        created, updated = _write_values_orm(frame, source=source, batch=batch, user=user)
    return {"values_created": created, "values_updated": updated,
            "values_unchanged": len(frame) - created - updated}


def _change_reason(batch) -> str:
    return f"import batch {batch.pk}"


# The temporary table the values are copied into (columns in VALUE_COLUMNS order).
_TEMP_TYPES = {"community_id": "bigint", "indicator_id": "bigint", "year": "smallint", "value": "double precision",
               "lower": "double precision", "upper": "double precision", "sample_size": "integer"}


def _copy_columns(frame) -> dict:
    """The columns for PostgreSQL binary COPY, whose rows have a fixed width: absent
    bounds travel as NaN and an absent sample size as -1 (both turned back into NULL in SQL)."""
    # In key order, so that the unique index is filled page after page.
    frame = frame.sort_values(["community_id", "indicator_id", "year"], kind="stable")
    return {
        "community_id": frame["community_id"].to_numpy(),
        "indicator_id": frame["indicator_id"].to_numpy(),
        "year": frame["year"].to_numpy(),
        "value": frame["value"].to_numpy(),
        "lower": frame["lower"].to_numpy(dtype=float, na_value=np.nan),
        "upper": frame["upper"].to_numpy(dtype=float, na_value=np.nan),
        "sample_size": frame["sample_size"].to_numpy(dtype="int64", na_value=-1),
    }


def _write_values_postgres(frame, *, source, batch, user, history=True) -> tuple[int, int]:
    value_table = IndicatorValue._meta.db_table
    history_table = IndicatorValue.history.model._meta.db_table
    temp = f"hp_import_values_{batch.pk}"
    params = {"source": source, "batch": batch.pk, "now": timezone.now(), "reason": _change_reason(batch),
              "user": user.pk if user is not None and user.pk else None}
    columns = "id, community_id, indicator_id, year, value, lower, upper, sample_size, source, import_batch_id"

    def with_history(statement, kind):
        if not history:
            return statement
        returning = "v.*" if kind == "~" else "*"
        return (f"WITH changed AS ({statement} RETURNING {returning}) "
                f"INSERT INTO {history_table} ({columns}, history_date, history_change_reason, history_type, "
                f"history_user_id) SELECT {columns}, %(now)s, %(reason)s, '{kind}', %(user)s FROM changed")

    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMP TABLE {temp} ({', '.join(f'{c} {_TEMP_TYPES[c]}' for c in VALUE_COLUMNS)})")
        try:
            copy_rows(cursor, temp, VALUE_COLUMNS, _copy_columns(frame), format="binary", types=_TEMP_TYPES)
            if frame[["lower", "upper", "sample_size"]].notna().any().any():
                cursor.execute(f"UPDATE {temp} SET lower = NULLIF(lower, 'NaN'), upper = NULLIF(upper, 'NaN'), "
                               "sample_size = NULLIF(sample_size, -1) "
                               "WHERE lower = 'NaN' OR upper = 'NaN' OR sample_size = -1")
                lower, upper, size = "t.lower", "t.upper", "t.sample_size"
            else:  # the common case: values only
                lower, upper, size = "NULL::float8", "NULL::float8", "NULL::integer"
            cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {value_table} WHERE source = %(source)s)", params)
            if not cursor.fetchone()[0]:  # a new source: every row is new
                cursor.execute(with_history(
                    f"INSERT INTO {value_table} (community_id, indicator_id, year, value, lower, upper, sample_size, "
                    f"source, import_batch_id) SELECT t.community_id, t.indicator_id, t.year, t.value, {lower}, "
                    f"{upper}, {size}, %(source)s, %(batch)s FROM {temp} AS t", "+"), params)
                return cursor.rowcount, 0
            cursor.execute(f"ANALYZE {temp}")
            # Changed values first (keys never change), then the keys not yet present.
            cursor.execute(with_history(
                f"UPDATE {value_table} AS v SET value = t.value, lower = {lower}, upper = {upper}, "
                f"sample_size = {size}, import_batch_id = %(batch)s FROM {temp} AS t "
                "WHERE v.source = %(source)s AND v.community_id = t.community_id "
                "AND v.indicator_id = t.indicator_id AND v.year = t.year "
                f"AND (v.value, v.lower, v.upper, v.sample_size) IS DISTINCT FROM (t.value, {lower}, {upper}, {size})",
                "~"), params)
            updated = cursor.rowcount
            cursor.execute(with_history(
                f"INSERT INTO {value_table} (community_id, indicator_id, year, value, lower, upper, sample_size, "
                f"source, import_batch_id) SELECT t.community_id, t.indicator_id, t.year, t.value, {lower}, "
                f"{upper}, {size}, %(source)s, %(batch)s FROM {temp} AS t WHERE NOT EXISTS (SELECT 1 FROM "
                f"{value_table} AS v WHERE v.source = %(source)s AND v.community_id = t.community_id "
                "AND v.indicator_id = t.indicator_id AND v.year = t.year)",
                "+"), params)
            created = cursor.rowcount
        finally:
            cursor.execute(f"DROP TABLE IF EXISTS {temp}")
    return created, updated


def _write_values_orm(frame, *, source, batch, user) -> tuple[int, int]:
    existing = {
        (c, i, y): (pk, v, lo, up, n)
        for pk, c, i, y, v, lo, up, n in IndicatorValue.objects.filter(
            source=source, indicator_id__in=frame["indicator_id"].unique().tolist()
        ).values_list("id", "community_id", "indicator_id", "year", "value", "lower", "upper", "sample_size")
    }
    to_create, to_update = [], []

    def clean(x):
        return None if x is None or x is pd.NA or (isinstance(x, float) and np.isnan(x)) else x

    for c, i, y, v, lo, up, n in frame.itertuples(index=False, name=None):
        lo, up, n = clean(lo), clean(up), clean(n)
        n = None if n is None else int(n)
        current = existing.get((c, i, y))
        if current is None:
            to_create.append(IndicatorValue(community_id=c, indicator_id=i, year=int(y), value=float(v), lower=lo,
                                            upper=up, sample_size=n, source=source, import_batch=batch))
        elif current[1:] != (float(v), lo, up, n):
            to_update.append(IndicatorValue(id=current[0], community_id=c, indicator_id=i, year=int(y), value=float(v),
                                            lower=lo, upper=up, sample_size=n, source=source, import_batch=batch))
    reason = _change_reason(batch)
    real_user = user if user is not None and user.pk else None
    bulk_create_with_history(to_create, IndicatorValue, batch_size=2000, default_user=real_user,
                             default_change_reason=reason)
    bulk_update_with_history(to_update, IndicatorValue, ["value", "lower", "upper", "sample_size", "import_batch"],
                             batch_size=2000, default_user=real_user, default_change_reason=reason)
    return len(to_create), len(to_update)


def write_communities(plan: ImportPlan, *, batch, user, file_name) -> dict:
    fields = plan.community_fields
    existing = {c.code: c for c in Community.objects.all()}
    created = updated = 0
    reason = _change_reason(batch)
    real_user = user if user is not None and user.pk else None
    errors = []
    order = {Level.COUNTRY: 0, Level.DEPARTMENT: 1, Level.PROVINCE: 2, Level.DISTRICT: 3}
    from ..models import level_for_code, parent_code_for

    rows = sorted(plan.communities, key=lambda r: (order[level_for_code(r["code"])], r["code"]))
    for level in (Level.COUNTRY, Level.DEPARTMENT, Level.PROVINCE, Level.DISTRICT):
        to_create, to_update = [], []
        for row in (r for r in rows if level_for_code(r["code"]) == level):
            current = existing.get(row["code"])
            if current is None:
                if not plan.create_communities:
                    errors.append(CellError(file_name, row.get("_row"), row.get("_column"),
                                            str(M.MSG_UNKNOWN_UBIGEO % {"code": row["code"]})))
                    continue
                parent_code = parent_code_for(row["code"])
                parent = existing.get(parent_code) if parent_code else None
                if parent_code and parent is None:
                    errors.append(CellError(file_name, row.get("_row"), row.get("_column"), str(
                        M.MSG_PARENT_MISSING % {"code": row["code"], "parent": parent_code})))
                    continue
                obj = Community(code=row["code"], level=level, parent=parent,
                                **{f: row.get(f) for f in fields})
                to_create.append(obj)
            elif any(getattr(current, f) != row.get(f) for f in fields if f in row):
                for f in fields:
                    if f in row:
                        setattr(current, f, row[f])
                to_update.append(current)
        if errors:
            raise Rejected(errors)
        if to_create:
            bulk_create_with_history(to_create, Community, batch_size=1000, default_user=real_user,
                                     default_change_reason=reason)
            for obj in Community.objects.filter(code__in=[o.code for o in to_create]):
                existing[obj.code] = obj
        if to_update:
            now = timezone.now()
            for obj in to_update:
                obj.updated_at = now
            bulk_update_with_history(to_update, Community, [*fields, "updated_at"], batch_size=1000,
                                     default_user=real_user, default_change_reason=reason)
        created += len(to_create)
        updated += len(to_update)
    return {"communities_created": created, "communities_updated": updated,
            "communities_unchanged": len(rows) - created - updated}
