"""Filters for the modeling list endpoints, declared explicitly (same conventions as
``interventions.api.filtersets``: stable keys and ids, UBIGEO prefixes, departments)."""
import django_filters as filters
from django.utils.translation import gettext_lazy as _

from healthplanner.api.filters import ID_BOUNDS, CommaListFilter, IdListFilter, IntegerFilter
from interventions.api.filtersets import DEPARTMENT_CODE, CommunityScopedFilterSet
from interventions.choices import Level

from ..models import (
    CommunityScore,
    ModelStatus,
    ModelVersion,
    Plan,
    PlanItem,
    PlanStatus,
    TaskKind,
    TaskRun,
    TaskStatus,
)

__all__ = [
    "ModelVersionFilterSet",
    "CommunityScoreFilterSet",
    "PlanFilterSet",
    "PlanLineFilterSet",
    "TaskRunFilterSet",
]


class ModelVersionFilterSet(filters.FilterSet):
    target = CommaListFilter(field_name="target__code", label=_("Target indicator code(s), comma-separated"))
    target_id = IntegerFilter(field_name="target_id", **ID_BOUNDS)
    level = filters.MultipleChoiceFilter(choices=Level.choices)
    status = filters.MultipleChoiceFilter(choices=ModelStatus.choices)

    class Meta:
        model = ModelVersion
        fields = ["target", "target_id", "level", "status"]


class CommunityScoreFilterSet(CommunityScopedFilterSet):
    """Without ``version``, the scores of the active model versions."""

    version = IdListFilter(field_name="version_id",
                           label=_("Model version id(s), comma-separated (default: the active versions)"))
    target = CommaListFilter(field_name="version__target__code", label=_("Target indicator code(s), comma-separated"))

    class Meta:
        model = CommunityScore
        fields = ["community", "community_id", "ubigeo__startswith", "level", "department", "version", "target"]

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if not self.form.cleaned_data.get("version"):
            queryset = queryset.filter(version__status=ModelStatus.ACTIVE)
        return queryset


class PlanFilterSet(filters.FilterSet):
    status = filters.MultipleChoiceFilter(choices=PlanStatus.choices)
    model_version = IntegerFilter(field_name="model_version_id", **ID_BOUNDS)
    target = CommaListFilter(field_name="model_version__target__code",
                             label=_("Target indicator code(s) of the plan's model"))
    region = filters.CharFilter(field_name="region__code", label=_("Region UBIGEO code"))

    class Meta:
        model = Plan
        fields = ["status", "model_version", "target", "region"]


class PlanLineFilterSet(filters.FilterSet):
    """A plan's lines by department and intervention type."""

    department = filters.CharFilter(field_name="community__code", lookup_expr="startswith",
                                    validators=[DEPARTMENT_CODE], label=_("Department (two-digit UBIGEO code)"))
    intervention_type = CommaListFilter(field_name="intervention_type__code",
                                        label=_("Intervention type code(s), comma-separated"))

    class Meta:
        model = PlanItem
        fields = ["department", "intervention_type"]


class TaskRunFilterSet(filters.FilterSet):
    kind = filters.MultipleChoiceFilter(choices=TaskKind.choices)
    status = filters.MultipleChoiceFilter(choices=TaskStatus.choices)
    model_version = IntegerFilter(field_name="model_version_id", **ID_BOUNDS)
    plan = IntegerFilter(field_name="plan_id", **ID_BOUNDS)

    class Meta:
        model = TaskRun
        fields = ["kind", "status", "model_version", "plan"]
