"""The one import code path: an adapter turns a file into a plan (communities and/or
indicator values, or errors); ``run_import`` checks the plan, writes it in one
transaction and records the run as an :class:`ImportBatch`.

Values go in by PostgreSQL ``COPY`` into a temporary table and one
``INSERT … ON CONFLICT … DO UPDATE … WHERE changed`` whose returned rows are copied into
the history table in the same statement, so a new version of a source replaces its
values while the old ones stay in history. On other databases the same happens with
``bulk_create_with_history`` / ``bulk_update_with_history``.
"""
from __future__ import annotations

import hashlib
import io
import struct
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from healthplanner.metrics import record_import_rows

from ..choices import ImportStatus, Level
from ..models import Community, ImportBatch, Indicator, IndicatorValue
from . import messages as M
from .reading import MAX_ERRORS_KEPT, CellError, FileProblem, InputFile

__all__ = ["ImportPlan", "Context", "Adapter", "run_import", "write_values", "VALUE_COLUMNS"]

VALUE_COLUMNS = ["community_id", "indicator_id", "year", "value", "lower", "upper", "sample_size"]
COMMUNITY_FIELDS = ["name", "population", "altitude_m", "latitude", "longitude", "area_km2"]


@dataclass
class ImportPlan:
    """What an adapter found in a file.

    ``values``: one row per value with ``community_id``, ``indicator`` (code), ``year``,
    ``value``, ``lower``, ``upper``, ``sample_size``, and ``_row`` / ``_column`` (where
    the value sits in the file, for messages). ``communities``: dicts with ``code`` and
    the fields in ``community_fields``.
    """

    rows_read: int = 0
    values: pd.DataFrame | None = None
    communities: list[dict] | None = None
    community_fields: list[str] = field(default_factory=lambda: list(COMMUNITY_FIELDS))
    create_communities: bool = True
    errors: list[CellError] = field(default_factory=list)
    notes: dict = field(default_factory=dict)


class Context:
    """What adapters may look up: communities by code, indicators by code."""

    def __init__(self, *, create_indicators: bool = False):
        self.create_indicators = create_indicators
        self._communities = None
        self._indicators = None

    @property
    def communities(self) -> dict[str, int]:
        if self._communities is None:
            self._communities = dict(Community.objects.values_list("code", "id"))
        return self._communities

    @property
    def indicators(self) -> dict[str, Indicator]:
        if self._indicators is None:
            self._indicators = {i.code: i for i in Indicator.objects.all()}
        return self._indicators

    def refresh(self):
        self._communities = None
        self._indicators = None


class Adapter:
    """A file family. Subclasses set ``name`` (the batch source), ``value_source``,
    ``files`` (paths inside the data layout) and implement ``plan``."""

    name = ""
    value_source = ""
    files: tuple[str, ...] = ()
    description = ""

    def plan(self, file: InputFile, context: Context) -> ImportPlan:  # pragma: no cover - abstract
        raise NotImplementedError


class _Rejected(Exception):
    def __init__(self, errors, rejected_rows=None):
        super().__init__("rejected")
        self.errors = errors
        self.rejected_rows = rejected_rows


class _DryRun(Exception):
    def __init__(self, counts):
        super().__init__("dry run")
        self.counts = counts


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def run_import(*, adapter: Adapter, file: InputFile, user=None, dry_run: bool = False,
               context: Context | None = None) -> ImportBatch:
    """Read, check and write one file, all or nothing; returns its ImportBatch.

    The batch row is written outside the data transaction so that a refused file still
    leaves its record (status ``failed`` with every error)."""
    context = context or Context()
    started = time.monotonic()
    batch = ImportBatch.objects.create(
        source=adapter.name, file_name=file.name[:255], sha256=_sha256(file.data),
        user=user if user is not None and user.pk else None, dry_run=dry_run,
    )
    counts = {}
    errors: list[CellError] = []
    rejected_count = None
    plan = ImportPlan()
    try:
        plan = adapter.plan(file, context)
        counts["read_seconds"] = round(time.monotonic() - started, 3)
        errors = list(plan.errors)
        if not errors:
            with transaction.atomic():
                counts.update(_apply(plan, batch=batch, source=adapter.value_source or adapter.name,
                                     user=user, context=context, file_name=file.name))
                if dry_run:
                    raise _DryRun(counts)
                commit_started = time.monotonic()
            counts["commit_seconds"] = round(time.monotonic() - commit_started, 3)
    except FileProblem as problem:
        errors = [problem.error]
    except _Rejected as rejected:
        errors = rejected.errors
        rejected_count = rejected.rejected_rows
    except _DryRun as done:
        counts.update(done.counts)
    except DatabaseError as exc:
        # A constraint the checks above did not foresee, or a concurrent import of the
        # same source: the transaction is rolled back and the batch says why.
        errors = [CellError(file.name, None, None, str(M.MSG_DATABASE_REFUSED % {"detail": str(exc).splitlines()[0]}))]
    finally:
        context.refresh()

    batch.finished_at = timezone.now()
    batch.rows_read = plan.rows_read
    if errors:
        batch.status = ImportStatus.FAILED
        rejected_rows = {e.row for e in errors if e.row is not None}
        batch.rows_rejected = len(rejected_rows) if rejected_rows and all(e.row for e in errors) else plan.rows_read
        if rejected_count is not None:
            batch.rows_rejected = max(batch.rows_rejected, rejected_count)
        batch.rows_written = 0
        shown = [e.as_dict() for e in errors[:MAX_ERRORS_KEPT]]
        if len(errors) > MAX_ERRORS_KEPT:
            shown.append({"file": file.name, "row": None, "column": None, "message": str(
                M.MSG_MORE_ERRORS % {"count": len(errors) - MAX_ERRORS_KEPT, "shown": MAX_ERRORS_KEPT})})
        batch.errors = shown
    else:
        batch.status = ImportStatus.DRY_RUN if dry_run else ImportStatus.SUCCEEDED
        batch.rows_written = sum(counts.get(k, 0) for k in ("values_created", "values_updated",
                                                            "communities_created", "communities_updated"))
    batch.summary = {**counts, **plan.notes, "seconds": round(time.monotonic() - started, 3)}
    batch.save()
    if not dry_run:
        record_import_rows(batch.source, batch.rows_written, batch.rows_rejected)
    return batch


# --- Applying a plan ----------------------------------------------------------------

def _apply(plan: ImportPlan, *, batch, source, user, context, file_name) -> dict:
    counts = {}
    if plan.communities is not None:
        counts.update(_write_communities(plan, batch=batch, user=user, file_name=file_name))
        context.refresh()
    if plan.values is not None:
        started = time.monotonic()
        frame = _check_values(plan.values, context=context, file_name=file_name)
        counts["check_seconds"] = round(time.monotonic() - started, 3)
        started = time.monotonic()
        counts.update(write_values(frame=frame, source=source, batch=batch, user=user))
        counts["write_seconds"] = round(time.monotonic() - started, 3)
    return counts


def _check_values(values: pd.DataFrame, *, context, file_name) -> pd.DataFrame:
    """Indicator codes known, values within their indicator's range, intervals around
    their value, no key twice. Raises _Rejected with every problem found."""
    errors: list[CellError] = []
    frame = values.copy()
    indicators = context.indicators
    unknown = sorted(set(frame["indicator"]) - set(indicators))
    if unknown and context.create_indicators:
        unknown = _create_indicators(frame, unknown, context=context, file_name=file_name)
        indicators = context.indicators
    if unknown:
        known = ", ".join(sorted(indicators)) or "—"
        for code in unknown:
            first = frame[frame["indicator"] == code].iloc[0]
            errors.append(CellError(file_name, int(first["_row"]), first.get("_indicator_column") or first["_column"],
                                    str(M.MSG_UNKNOWN_INDICATOR % {"code": code, "known": known})))
        raise _Rejected(errors)
    frame["indicator_id"] = frame["indicator"].map({c: i.id for c, i in indicators.items()})
    for col in ("lower", "upper", "sample_size"):
        if col not in frame:
            frame[col] = np.nan
    rejected = pd.Series(False, index=frame.index)
    for code, group in frame.groupby("indicator", sort=False):
        ind = indicators[code]
        low = -np.inf if ind.min_value is None else ind.min_value
        high = np.inf if ind.max_value is None else ind.max_value
        bad = (group["value"] < low) | (group["value"] > high)
        rejected.loc[bad.index[bad]] = True
        for row in group[bad].head(MAX_ERRORS_KEPT).to_dict("records"):
            value = f"{row['value']:g}"
            if ind.unit == "%" and ind.min_value == 0 and ind.max_value == 100:
                problem = M.MSG_PERCENT_RANGE % {"value": value}
            elif ind.min_value == 0 and row["value"] < 0:
                problem = M.MSG_NEGATIVE % {"value": value}
            else:
                problem = M.MSG_OUT_OF_RANGE % {
                    "value": value, "indicator": ind.code,
                    "min": "−∞" if ind.min_value is None else f"{ind.min_value:g}",
                    "max": "∞" if ind.max_value is None else f"{ind.max_value:g}", "unit": ind.unit}
            errors.append(CellError(file_name, int(row["_row"]), row["_column"], str(problem)))
    outside = (frame["lower"].notna() & (frame["lower"] > frame["value"])) | (
        frame["upper"].notna() & (frame["upper"] < frame["value"]))
    negative_n = frame["sample_size"].notna() & (frame["sample_size"] < 0)
    bad_year = (frame["year"] < 1900) | (frame["year"] > 2100)
    rejected |= outside | negative_n | bad_year
    for row in frame[outside].head(MAX_ERRORS_KEPT).to_dict("records"):
        errors.append(CellError(file_name, int(row["_row"]), row.get("_interval_column") or row["_column"], str(
            M.MSG_INTERVAL % {"lower": _fmt(row["lower"]), "upper": _fmt(row["upper"]), "value": _fmt(row["value"])})))
    for row in frame[negative_n].head(MAX_ERRORS_KEPT).to_dict("records"):
        errors.append(CellError(file_name, int(row["_row"]), row.get("_sample_column") or row["_column"],
                                str(M.MSG_NEGATIVE % {"value": _fmt(row["sample_size"])})))
    for row in frame[bad_year].head(MAX_ERRORS_KEPT).to_dict("records"):
        errors.append(CellError(file_name, int(row["_row"]), row.get("_year_column") or row["_column"],
                                str(M.MSG_NOT_A_YEAR % {"text": _fmt(row["year"])})))
    keys = ["community_id", "indicator_id", "year"]
    dup = frame.duplicated(keys, keep=False)
    if dup.any():
        firsts = frame[dup].groupby(keys, sort=False)["_row"].transform("min")
        first_rows = frame[dup].groupby(keys, sort=False)["_row"].transform("min").reindex(frame.index)
        rejected |= dup & (frame["_row"] != first_rows)
        for row, first in zip(frame[dup].head(MAX_ERRORS_KEPT * 2).to_dict("records"), firsts, strict=False):
            if row["_row"] != first:
                errors.append(CellError(file_name, int(row["_row"]), row.get("_key_column") or row["_column"], str(
                    M.MSG_DUPLICATE % {"what": M.KEY_WHAT, "first": int(first)})))
    if errors:
        errors.sort(key=lambda e: (e.row or 0, e.column or ""))
        raise _Rejected(errors, rejected_rows=int(frame.loc[rejected, "_row"].nunique()))
    return frame


def _create_indicators(frame, codes, *, context, file_name) -> list[str]:
    """Create the indicators ``codes`` (``--create-indicators``); returns the codes
    that are not valid indicator codes."""
    import re

    from ..choices import Direction, IndicatorCategory
    from ..models import SLUG_REGEX

    invalid = []
    for code in codes:
        if not re.match(SLUG_REGEX, str(code)) or len(str(code)) > 64:
            invalid.append(code)
            continue
        Indicator.objects.create(code=code, name=code, unit="", category=IndicatorCategory.HEALTH,
                                 direction=Direction.NEUTRAL, min_value=None, max_value=None,
                                 description=str(M.CREATED_BY_IMPORT % {"file": file_name}))
    context._indicators = None
    if invalid:
        errors = []
        for code in invalid:
            first = frame[frame["indicator"] == code].iloc[0]
            errors.append(CellError(file_name, int(first["_row"]), first.get("_indicator_column") or first["_column"],
                                    str(M.MSG_BAD_INDICATOR_CODE % {"code": code})))
        raise _Rejected(errors)
    return []


def _fmt(value) -> str:
    return "" if value is None or (isinstance(value, float) and np.isnan(value)) else f"{value:g}"


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


_COPY_DTYPE = np.dtype([
    ("n", ">i2"),
    ("l1", ">i4"), ("community_id", ">i8"), ("l2", ">i4"), ("indicator_id", ">i8"),
    ("l3", ">i4"), ("year", ">i2"), ("l4", ">i4"), ("value", ">f8"), ("l5", ">i4"), ("lower", ">f8"),
    ("l6", ">i4"), ("upper", ">f8"), ("l7", ">i4"), ("sample_size", ">i4"),
])


def _binary_copy_payload(frame) -> bytes:
    """PostgreSQL binary COPY rows with a fixed width: absent bounds travel as NaN and an
    absent sample size as -1 (both turned back into NULL in SQL)."""
    # In key order, so that the unique index is filled page after page.
    frame = frame.sort_values(["community_id", "indicator_id", "year"], kind="stable")
    rows = np.empty(len(frame), dtype=_COPY_DTYPE)
    rows["n"] = 7
    for i, width in enumerate((8, 8, 2, 8, 8, 8, 4), start=1):
        rows[f"l{i}"] = width
    rows["community_id"] = frame["community_id"].to_numpy()
    rows["indicator_id"] = frame["indicator_id"].to_numpy()
    rows["year"] = frame["year"].to_numpy()
    rows["value"] = frame["value"].to_numpy()
    rows["lower"] = frame["lower"].to_numpy(dtype=float, na_value=np.nan)
    rows["upper"] = frame["upper"].to_numpy(dtype=float, na_value=np.nan)
    rows["sample_size"] = frame["sample_size"].to_numpy(dtype="int64", na_value=-1)
    return b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0) + rows.tobytes() + struct.pack(">h", -1)


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
        cursor.execute(
            f"CREATE TEMP TABLE {temp} (community_id bigint, indicator_id bigint, year smallint, "
            "value double precision, lower double precision, upper double precision, sample_size integer)"
        )
        try:
            cursor.connection.cursor().copy_expert(
                f"COPY {temp} FROM STDIN WITH (FORMAT binary)", io.BytesIO(_binary_copy_payload(frame))
            )
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


def _write_communities(plan: ImportPlan, *, batch, user, file_name) -> dict:
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
            raise _Rejected(errors)
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

