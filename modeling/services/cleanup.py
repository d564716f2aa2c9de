"""What modeling computed from data that are going away."""
from django.db import transaction

from ..models import ModelVersion, Plan

__all__ = ["modeling_results_remove"]


@transaction.atomic
def modeling_results_remove(**_signal) -> None:
    """Remove every plan (with its lines), model version and score: they were computed on
    the synthetic demo (``interventions.signals.demo_data_removing``). Task runs stay, as
    the record of what ran; their links to the removed rows become empty."""
    Plan.objects.all().delete()
    ModelVersion.objects.all().delete()
