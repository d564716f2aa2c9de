"""Undo one import of indicator values: the values it created are removed, the values it
changed get back what they held before, and both steps are recorded in history."""
from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from ..choices import ImportStatus
from ..models import ImportBatch, IndicatorValue
from . import messages as M

__all__ = ["rollback_batch"]

RESTORED_FIELDS = ["value", "lower", "upper", "sample_size", "import_batch"]


@transaction.atomic
def rollback_batch(*, batch: ImportBatch, user=None) -> dict:
    """Returns counts ``removed``, ``restored`` and ``kept`` (values a later import has
    changed since, which stay as they are)."""
    batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status != ImportStatus.SUCCEEDED:
        raise ValidationError(M.MSG_ROLLBACK_NOT_SUCCEEDED % {"status": batch.get_status_display()})
    if batch.summary.get("communities_created") or batch.summary.get("communities_updated"):
        raise ValidationError(M.MSG_ROLLBACK_COMMUNITIES)
    History = IndicatorValue.history.model
    reason = f"rollback of import batch {batch.pk}"
    real_user = user if user is not None and user.pk else None
    changes = {}
    for history_id, value_id, kind in History.objects.filter(
        import_batch_id=batch.pk, history_type__in=["+", "~"]
    ).values_list("history_id", "id", "history_type"):
        changes[value_id] = max(changes.get(value_id, (0, kind)), (history_id, kind))
    current = {v.id: v for v in IndicatorValue.objects.filter(id__in=list(changes), import_batch=batch)}
    kept = len(changes) - len(current)
    created = [current[i] for i, (_, kind) in changes.items() if i in current and kind == "+"]
    changed = {i: h for i, (h, kind) in changes.items() if i in current and kind == "~"}

    previous = {}
    if changed:
        for record in History.objects.filter(id__in=list(changed)).order_by("id", "history_id"):
            if record.history_id < changed[record.id]:
                previous[record.id] = record  # the last one before this batch's change wins
    restored = []
    for value_id, record in previous.items():
        obj = current[value_id]
        for name in ("value", "lower", "upper", "sample_size", "import_batch_id"):
            setattr(obj, name, getattr(record, name))
        restored.append(obj)
    bulk_update_with_history(restored, IndicatorValue, RESTORED_FIELDS, batch_size=2000,
                             default_user=real_user, default_change_reason=reason)

    now = timezone.now()
    History.objects.bulk_create([
        History(id=v.id, community_id=v.community_id, indicator_id=v.indicator_id, year=v.year, value=v.value,
                lower=v.lower, upper=v.upper, sample_size=v.sample_size, source=v.source,
                import_batch_id=v.import_batch_id, history_date=now, history_change_reason=reason,
                history_type="-", history_user=real_user)
        for v in created
    ], batch_size=2000)
    IndicatorValue.objects.filter(id__in=[v.id for v in created]).delete()

    result = {"removed": len(created), "restored": len(restored), "kept": kept}
    batch.status = ImportStatus.ROLLED_BACK
    batch.summary = {**batch.summary, "rollback": {**result, "at": now.isoformat(),
                                                   "by": getattr(real_user, "username", None)}}
    batch.save(update_fields=["status", "summary"])
    return result
