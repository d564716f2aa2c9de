"""Helpers for the import tests: a fingerprint of everything the importers write, and a
way to empty those tables after a module that loaded data outside a test transaction."""
import hashlib

from django.db import connection

from interventions.models import Community, ImportBatch, Indicator, IndicatorValue, InterventionType

WRITTEN_MODELS = (IndicatorValue, IndicatorValue.history.model, Community, Community.history.model,
                  Indicator, Indicator.history.model)


def fingerprint() -> dict:
    """Row count and checksum of every value and community (and their history)."""
    out = {}
    for model in WRITTEN_MODELS:
        fields = [f.attname for f in model._meta.concrete_fields if f.attname not in ("updated_at",)]
        digest = hashlib.sha256()
        rows = model.objects.order_by(model._meta.pk.attname).values_list(*fields)
        count = 0
        for row in rows.iterator(chunk_size=5000):
            digest.update(repr(row).encode())
            count += 1
        out[model._meta.label] = (count, digest.hexdigest())
    return out


def empty_import_tables():
    """Delete what a committed (non-transactional) load wrote, children first."""
    tables = [IndicatorValue._meta.db_table, IndicatorValue.history.model._meta.db_table]
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"DELETE FROM {table}")
        cursor.execute(f"UPDATE {Community._meta.db_table} SET parent_id = NULL")
        # load_peru_data also makes the starter intervention catalogue, which refers to
        # the indicators.
        for table in (InterventionType._meta.db_table, InterventionType.history.model._meta.db_table,
                      Community._meta.db_table, Community.history.model._meta.db_table,
                      ImportBatch._meta.db_table, Indicator._meta.db_table, Indicator.history.model._meta.db_table):
            cursor.execute(f"DELETE FROM {table}")
