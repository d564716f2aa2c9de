"""Filters for every list endpoint, declared explicitly.

Related objects filter both by stable key (``community`` = UBIGEO code, ``indicator`` =
indicator code, ...) and by id (``community_id``); ``ubigeo__startswith`` selects a
region's subtree and ``department`` a department's (two-digit code).
"""
import django_filters as filters
from django.core.validators import RegexValidator
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from healthplanner.api.filters import (
    ID_BOUNDS,
    YEAR_BOUNDS,
    CommaListFilter,
    IdListFilter,
    IntegerFilter,
    StrictBooleanFilter,
)

from ..choices import (
    Direction,
    ImportStatus,
    IndicatorCategory,
    InterventionCategory,
    InterventionStatus,
    Level,
    PartnerKind,
    TargetGroup,
)
from ..models import (
    Community,
    ImportBatch,
    Indicator,
    IndicatorValue,
    Intervention,
    InterventionType,
    Partner,
)
from ..selectors import intervention_overlaps

__all__ = [
    "CommunityFilterSet",
    "IndicatorFilterSet",
    "IndicatorValueFilterSet",
    "InterventionTypeFilterSet",
    "PartnerFilterSet",
    "InterventionFilterSet",
    "ImportBatchFilterSet",
]

DEPARTMENT_CODE = RegexValidator(r"^[0-9]{2}$", _("A department is a two-digit UBIGEO code, e.g. 08."))
UBIGEO_PREFIX = RegexValidator(r"^(PE|[0-9]{1,6})$", _("A UBIGEO prefix is 1 to 6 digits, or PE."))


class CommunityScopedFilterSet(filters.FilterSet):
    """``community``, ``community_id``, ``ubigeo__startswith``, ``level`` and
    ``department`` over a model that points to a community."""

    community_path = "community"

    community = CommaListFilter(method="filter_community", label=_("Community UBIGEO code(s), comma-separated"))
    community_id = IdListFilter(method="filter_community_id", label=_("Community id(s), comma-separated"))
    ubigeo__startswith = filters.CharFilter(
        method="filter_ubigeo_prefix", validators=[UBIGEO_PREFIX], label=_("UBIGEO code prefix (a region's subtree)")
    )
    level = filters.MultipleChoiceFilter(method="filter_level", choices=Level.choices, label=_("Level"))
    department = filters.CharFilter(
        method="filter_ubigeo_prefix", validators=[DEPARTMENT_CODE], label=_("Department (two-digit UBIGEO code)")
    )

    def _path(self, suffix):
        return f"{self.community_path}__{suffix}" if self.community_path else suffix

    def filter_community(self, queryset, name, value):
        return queryset.filter(**{self._path("code__in"): value})

    def filter_community_id(self, queryset, name, value):
        return queryset.filter(**{self._path("id__in"): value})

    def filter_ubigeo_prefix(self, queryset, name, value):
        return queryset.filter(**{self._path("code__startswith"): value})

    def filter_level(self, queryset, name, value):
        return queryset.filter(**{self._path("level__in"): value}) if value else queryset


class CommunityFilterSet(CommunityScopedFilterSet):
    community_path = ""
    code = CommaListFilter(method="filter_community", label=_("UBIGEO code(s), comma-separated"))
    parent = filters.CharFilter(field_name="parent__code", label=_("Parent UBIGEO code"))
    parent_id = IntegerFilter(field_name="parent_id", **ID_BOUNDS)

    class Meta:
        model = Community
        fields = [
            "code", "community", "community_id", "ubigeo__startswith", "level", "department", "parent", "parent_id",
        ]


class IndicatorFilterSet(filters.FilterSet):
    code = CommaListFilter(field_name="code", label=_("Indicator code(s), comma-separated"))
    indicator = CommaListFilter(field_name="code", label=_("Indicator code(s), comma-separated"))
    category = filters.MultipleChoiceFilter(choices=IndicatorCategory.choices)
    direction = filters.MultipleChoiceFilter(choices=Direction.choices)

    class Meta:
        model = Indicator
        fields = ["code", "indicator", "category", "direction"]


class IndicatorValueFilterSet(CommunityScopedFilterSet):
    indicator = CommaListFilter(field_name="indicator__code", label=_("Indicator code(s), comma-separated"))
    indicator_id = IdListFilter(field_name="indicator_id", label=_("Indicator id(s), comma-separated"))
    year = IntegerFilter(field_name="year", **YEAR_BOUNDS)
    year__gte = IntegerFilter(field_name="year", lookup_expr="gte", **YEAR_BOUNDS)
    year__lte = IntegerFilter(field_name="year", lookup_expr="lte", **YEAR_BOUNDS)
    source = CommaListFilter(field_name="source", label=_("Source(s), comma-separated"))

    class Meta:
        model = IndicatorValue
        fields = [
            "community", "community_id", "ubigeo__startswith", "level", "department",
            "indicator", "indicator_id", "year", "year__gte", "year__lte", "source",
        ]


class InterventionTypeFilterSet(filters.FilterSet):
    code = CommaListFilter(field_name="code", label=_("Intervention type code(s), comma-separated"))
    indicator = CommaListFilter(field_name="indicator__code", label=_("Code(s) of the indicator acted on"))
    indicator_id = IntegerFilter(field_name="indicator_id", **ID_BOUNDS)
    category = filters.MultipleChoiceFilter(choices=InterventionCategory.choices)
    target_group = filters.MultipleChoiceFilter(choices=TargetGroup.choices)
    is_active = StrictBooleanFilter()

    class Meta:
        model = InterventionType
        fields = ["code", "indicator", "indicator_id", "category", "target_group", "is_active"]


class PartnerFilterSet(filters.FilterSet):
    partner = filters.CharFilter(method="filter_partner", label=_("Partner name or acronym"))
    kind = filters.MultipleChoiceFilter(choices=PartnerKind.choices)
    is_active = StrictBooleanFilter()

    class Meta:
        model = Partner
        fields = ["partner", "kind", "is_active"]

    def filter_partner(self, queryset, name, value):
        return queryset.filter(Q(name__iexact=value) | Q(acronym__iexact=value))


class InterventionFilterSet(CommunityScopedFilterSet):
    intervention_type = CommaListFilter(field_name="intervention_type__code",
                                        label=_("Intervention type code(s), comma-separated"))
    intervention_type_id = IntegerFilter(field_name="intervention_type_id", **ID_BOUNDS)
    indicator = filters.CharFilter(
        field_name="intervention_type__indicator__code", label=_("Code of the indicator acted on")
    )
    partner = filters.CharFilter(method="filter_partner", label=_("Partner name or acronym"))
    partner_id = IntegerFilter(field_name="partner_id", **ID_BOUNDS)
    status = filters.MultipleChoiceFilter(choices=InterventionStatus.choices)
    year = IntegerFilter(field_name="start_date__year", label=_("Start year"), **YEAR_BOUNDS)
    year__gte = IntegerFilter(
        field_name="start_date__year", lookup_expr="gte", label=_("Start year from"), **YEAR_BOUNDS
    )
    year__lte = IntegerFilter(
        field_name="start_date__year", lookup_expr="lte", label=_("Start year to"), **YEAR_BOUNDS
    )

    overlap = StrictBooleanFilter(
        method="filter_overlap",
        label=_("Planned or active, and duplicated by another partner's of the same type in the same community "
                "at overlapping dates"),
    )

    class Meta:
        model = Intervention
        fields = [
            "community", "community_id", "ubigeo__startswith", "level", "department",
            "intervention_type", "intervention_type_id", "indicator", "partner", "partner_id",
            "status", "year", "year__gte", "year__lte", "overlap",
        ]

    def filter_overlap(self, queryset, name, value):
        overlapping = intervention_overlaps(queryset=queryset)
        return overlapping if value else queryset.exclude(pk__in=overlapping.values("pk"))

    def filter_partner(self, queryset, name, value):
        return queryset.filter(Q(partner__name__iexact=value) | Q(partner__acronym__iexact=value))


class ImportBatchFilterSet(filters.FilterSet):
    source = CommaListFilter(field_name="source", label=_("Source(s) or adapter name(s), comma-separated"))
    status = filters.MultipleChoiceFilter(choices=ImportStatus.choices)
    dry_run = StrictBooleanFilter()

    class Meta:
        model = ImportBatch
        fields = ["source", "status", "dry_run"]
