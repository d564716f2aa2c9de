"""Filters for the modeling list endpoints, declared explicitly (same conventions as
``interventions.api.filtersets``: stable keys and ids, UBIGEO prefixes, departments)."""
import django_filters as filters
from django.utils.translation import gettext_lazy as _

from interventions.api.filtersets import ID_BOUNDS, ID_LIST, CommunityScopedFilterSet, _parse_ids
from interventions.choices import Level

from ..models import CommunityScore, ModelStatus, ModelVersion, Plan, PlanStatus, TaskKind, TaskRun, TaskStatus

__all__ = [
    "ModelVersionFilterSet",
    "CommunityScoreFilterSet",
    "PlanFilterSet",
    "TaskRunFilterSet",
]


def _codes(value):
    return [v.strip() for v in value.split(",") if v.strip()]


class ModelVersionFilterSet(filters.FilterSet):
    target = filters.CharFilter(method="filter_target", label=_("Target indicator code(s), comma-separated"))
    target_id = filters.NumberFilter(field_name="target_id", **ID_BOUNDS)
    level = filters.MultipleChoiceFilter(choices=Level.choices)
    status = filters.MultipleChoiceFilter(choices=ModelStatus.choices)

    class Meta:
        model = ModelVersion
        fields = ["target", "target_id", "level", "status"]

    def filter_target(self, queryset, name, value):
        return queryset.filter(target__code__in=_codes(value))


class CommunityScoreFilterSet(CommunityScopedFilterSet):
    """Without ``version``, the scores of the active model versions."""

    version = filters.CharFilter(method="filter_version", validators=[ID_LIST],
                                 label=_("Model version id(s), comma-separated (default: the active versions)"))
    target = filters.CharFilter(method="filter_target", label=_("Target indicator code(s), comma-separated"))

    class Meta:
        model = CommunityScore
        fields = ["community", "community_id", "ubigeo__startswith", "level", "department", "version", "target"]

    def filter_version(self, queryset, name, value):
        return queryset.filter(version_id__in=_parse_ids(value))

    def filter_target(self, queryset, name, value):
        return queryset.filter(version__target__code__in=_codes(value))

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if not self.form.cleaned_data.get("version"):
            queryset = queryset.filter(version__status=ModelStatus.ACTIVE)
        return queryset


class PlanFilterSet(filters.FilterSet):
    status = filters.MultipleChoiceFilter(choices=PlanStatus.choices)
    model_version = filters.NumberFilter(field_name="model_version_id", **ID_BOUNDS)
    target = filters.CharFilter(method="filter_target", label=_("Target indicator code(s) of the plan's model"))
    region = filters.CharFilter(field_name="region__code", label=_("Region UBIGEO code"))

    class Meta:
        model = Plan
        fields = ["status", "model_version", "target", "region"]

    def filter_target(self, queryset, name, value):
        return queryset.filter(model_version__target__code__in=_codes(value))


class TaskRunFilterSet(filters.FilterSet):
    kind = filters.MultipleChoiceFilter(choices=TaskKind.choices)
    status = filters.MultipleChoiceFilter(choices=TaskStatus.choices)
    model_version = filters.NumberFilter(field_name="model_version_id", **ID_BOUNDS)
    plan = filters.NumberFilter(field_name="plan_id", **ID_BOUNDS)

    class Meta:
        model = TaskRun
        fields = ["kind", "status", "model_version", "plan"]
