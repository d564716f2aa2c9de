"""API representations. Related objects are given both by their stable key (UBIGEO code,
indicator code, intervention type code, partner name) and by id; a client may send
either. Every write runs the model's own ``full_clean`` so the API refuses exactly what
the admin refuses, with the same messages."""
import copy

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, extend_schema_serializer
from rest_framework import serializers
from rest_framework.settings import api_settings

from healthplanner.api.serializers import CodeRelatedField, ErrorSerializer

from ..importers.uploads import MAX_SKIP_ROWS
from ..models import (
    Community,
    ImportBatch,
    Indicator,
    IndicatorValue,
    Intervention,
    InterventionType,
    Partner,
    source_validator,
)

__all__ = [
    "MSG_KEY_ID_MISMATCH",
    "MSG_RELATED_REQUIRED",
    "CommunitySerializer",
    "CommunityDetailSerializer",
    "IndicatorSerializer",
    "IndicatorValueSerializer",
    "InterventionTypeSerializer",
    "PartnerSerializer",
    "InterventionSerializer",
    "ImportBatchSerializer",
    "ImportUploadSerializer",
    "ImportRefusedSerializer",
]

MSG_KEY_ID_MISMATCH = _("“%(key)s” and %(key_id)s name different objects: send one of them.")
MSG_RELATED_REQUIRED = _("This field is required (or send %(key_id)s).")


def _key_field(model, slug_field, **kwargs):
    return CodeRelatedField(
        slug_field=slug_field, queryset=model.objects.all(), required=False, **kwargs
    )


def _id_field(model, source, **kwargs):
    return serializers.PrimaryKeyRelatedField(
        source=source, queryset=model.objects.all(), required=False, **kwargs
    )


class ModelCleanSerializer(serializers.ModelSerializer):
    """Runs ``Model.full_clean()`` on the object as it would be saved.

    ``key_fields`` lists related fields offered twice, as ``<name>`` (stable key) and
    ``<name>_id`` (id): a create needs one of them, and both must agree when both come.
    """

    key_fields: tuple[str, ...] = ()

    def validate(self, attrs):
        attrs = super().validate(attrs)
        errors = {}
        for name in self.key_fields:
            key_value = self.initial_data.get(name) if hasattr(self.initial_data, "get") else None
            id_value = self.initial_data.get(f"{name}_id") if hasattr(self.initial_data, "get") else None
            if key_value not in (None, "") and id_value not in (None, "") and name in attrs:
                key_field = self.fields[name]
                by_key = key_field.to_internal_value(key_value)
                if by_key.pk != attrs[name].pk:
                    errors[name] = [MSG_KEY_ID_MISMATCH % {"key": key_value, "key_id": f"{name}_id"}]
            if self.instance is None and name not in attrs:
                errors[name] = [MSG_RELATED_REQUIRED % {"key_id": f"{name}_id"}]
        if errors:
            raise serializers.ValidationError(errors)

        model = self.Meta.model
        if self.instance is None:
            obj = model(**attrs)
        else:
            obj = copy.copy(self.instance)
            for name, value in attrs.items():
                setattr(obj, name, value)
        writable = {f.source for f in self._writable_fields}
        exclude = [f.name for f in model._meta.concrete_fields if f.name not in writable]
        try:
            obj.full_clean(exclude=exclude)
        except DjangoValidationError as exc:
            detail = serializers.as_serializer_error(exc)
            if NON_FIELD_ERRORS in detail:
                detail[api_settings.NON_FIELD_ERRORS_KEY] = detail.pop(NON_FIELD_ERRORS)
            raise serializers.ValidationError(detail) from exc
        return attrs


class CommunitySerializer(ModelCleanSerializer):
    parent = CodeRelatedField(slug_field="code", read_only=True, allow_null=True)
    parent_id = serializers.PrimaryKeyRelatedField(source="parent", read_only=True, allow_null=True)

    class Meta:
        model = Community
        fields = [
            "id", "code", "name", "level", "parent", "parent_id", "population", "altitude_m",
            "latitude", "longitude", "area_km2", "geometry_inherited", "created_at", "updated_at",
        ]
        read_only_fields = ["level", "created_at", "updated_at"]

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None and not isinstance(self.instance, (list, tuple)) and hasattr(self.instance, "pk"):
            # A code is an identity: changing it would orphan the communities below it.
            fields["code"].read_only = True
        return fields


class CommunityDetailSerializer(CommunitySerializer):
    class Meta(CommunitySerializer.Meta):
        fields = [*CommunitySerializer.Meta.fields, "geometry"]


class IndicatorSerializer(ModelCleanSerializer):
    class Meta:
        model = Indicator
        fields = [
            "id", "code", "name", "unit", "min_value", "max_value", "direction", "category",
            "description", "source",
        ]


@extend_schema_serializer(examples=[
    OpenApiExample(
        "By stable keys", request_only=True,
        value={"community": "080101", "indicator": "stunting_u5_pct", "year": 2024, "value": 12.5,
               "lower": 10.1, "upper": 14.9, "sample_size": 412, "source": "endes"},
    ),
    OpenApiExample(
        "By ids", request_only=True,
        value={"community_id": 1201, "indicator_id": 2, "year": 2024, "value": 12.5, "source": "endes"},
    ),
])
class IndicatorValueSerializer(ModelCleanSerializer):
    key_fields = ("community", "indicator")
    community = _key_field(Community, "code", help_text=_("UBIGEO code of the community."))
    community_id = _id_field(Community, "community")
    indicator = _key_field(Indicator, "code", help_text=_("Indicator code."))
    indicator_id = _id_field(Indicator, "indicator")

    class Meta:
        model = IndicatorValue
        fields = [
            "id", "community", "community_id", "indicator", "indicator_id", "year", "value",
            "lower", "upper", "sample_size", "source", "import_batch",
        ]
        read_only_fields = ["import_batch"]
        validators = []  # full_clean checks the unique constraint


class InterventionTypeSerializer(ModelCleanSerializer):
    key_fields = ("indicator",)
    indicator = _key_field(Indicator, "code", help_text=_("Code of the indicator acted on."))
    indicator_id = _id_field(Indicator, "indicator")
    coverage_indicator = CodeRelatedField(
        slug_field="code", queryset=Indicator.objects.all(), required=False, allow_null=True,
        help_text=_("Code of the indicator that measures today's coverage (a percentage), if any."),
    )

    class Meta:
        model = InterventionType
        fields = [
            "id", "code", "name", "category", "indicator", "indicator_id", "target_group",
            "cost_per_beneficiary_pen", "effect_relative", "coverage_indicator", "default_coverage", "evidence",
            "description", "is_active",
        ]


class PartnerSerializer(ModelCleanSerializer):
    class Meta:
        model = Partner
        fields = ["id", "name", "acronym", "kind", "website", "contact_email", "is_active"]


@extend_schema_serializer(examples=[
    OpenApiExample(
        "A partner plans an intervention", request_only=True,
        value={"community": "080101", "intervention_type": "iron_supplementation",
               "partner": "Asociación Salud Andina (demo)", "status": "planned",
               "start_date": "2025-03-01", "end_date": "2026-02-28", "budget_pen": "45000.00",
               "beneficiaries": 1500, "notes": "Children 6–35 months of the district capital."},
    ),
])
class InterventionSerializer(ModelCleanSerializer):
    key_fields = ("community", "intervention_type", "partner")
    community = _key_field(Community, "code", help_text=_("UBIGEO code of the community."))
    community_id = _id_field(Community, "community")
    intervention_type = _key_field(InterventionType, "code", help_text=_("Intervention type code."))
    intervention_type_id = _id_field(InterventionType, "intervention_type")
    partner = _key_field(Partner, "name", help_text=_("Partner name."))
    partner_id = _id_field(Partner, "partner")

    class Meta:
        model = Intervention
        fields = [
            "id", "community", "community_id", "intervention_type", "intervention_type_id",
            "partner", "partner_id", "status", "start_date", "end_date", "budget_pen",
            "beneficiaries", "notes", "created_at",
        ]
        read_only_fields = ["created_at"]


class ImportBatchSerializer(serializers.ModelSerializer):
    """One run of an importer over one file: what it read, wrote and refused."""

    user = CodeRelatedField(slug_field="username", read_only=True, allow_null=True)
    errors = serializers.ListField(
        child=serializers.DictField(), read_only=True,
        help_text=_("Every problem found: file, row, column and message (at most the first few hundred)."),
    )
    summary = serializers.DictField(read_only=True, help_text=_("Counts and timings of the run."))

    class Meta:
        model = ImportBatch
        fields = [
            "id", "source", "file_name", "sha256", "user", "status", "stage", "progress", "dry_run", "started_at",
            "finished_at",
            "rows_read", "rows_written", "rows_rejected", "errors", "summary",
        ]
        read_only_fields = fields


def _import_adapter_choices():
    from ..importers import PERU_ADAPTERS
    from ..importers.uploads import GENERIC

    return [GENERIC, *PERU_ADAPTERS]


@extend_schema_serializer(examples=[
    OpenApiExample(
        "A long indicator table", request_only=True,
        value={
            "file": "(a CSV file: ubigeo,indicator,year,value)", "adapter": "generic", "source": "diresa-cusco-2024",
        },
    ),
    OpenApiExample(
        "A wide table with a column mapping", request_only=True,
        value={"file": "(an XLSX file)", "adapter": "generic", "source": "diresa-cusco-2024", "year": 2024,
               "ubigeo_column": "UBIGEO", "columns": "DESNUTRICION=stunting_u5_pct\nANEMIA=anaemia_6_35m_pct",
               "scale": "stunting_u5_pct=100"},
    ),
    OpenApiExample(
        "A built-in adapter", request_only=True,
        value={"file": "(the INEI poverty map XLSX)", "adapter": "poverty-2018"},
    ),
])
class ImportUploadSerializer(serializers.Serializer):
    """The upload (multipart/form-data): the same fields as the admin's import form, checked
    by that same form."""

    file = serializers.FileField(help_text=_("CSV, XLSX, XLS or GeoJSON."))
    adapter = serializers.ChoiceField(
        choices=_import_adapter_choices(), required=False, default="generic",
        help_text=_("generic: an indicator table (long, or wide with a column mapping); otherwise a built-in "
                    "adapter for a known public file."),
    )
    source = serializers.CharField(required=False, max_length=64, validators=[source_validator],
                                   help_text=_("Short name of the data source (generic tables only)."))
    year = serializers.IntegerField(required=False, min_value=1900, max_value=2100)
    ubigeo_column = serializers.CharField(required=False, max_length=200)
    columns = serializers.CharField(required=False, help_text=_("Column mapping, one per line: COLUMN=indicator_code."))
    scale = serializers.CharField(
        required=False, help_text=_("One per line: indicator_code=100 to turn shares into percentages.")
    )
    sheet = serializers.CharField(required=False, max_length=100)
    skip_rows = serializers.IntegerField(required=False, min_value=0, max_value=MAX_SKIP_ROWS)
    dry_run = serializers.BooleanField(
        required=False, default=False,
        help_text=_("Check everything and write nothing (the batch is recorded as a dry run)."),
    )


class ImportRefusedSerializer(ErrorSerializer):
    """A 400 for an upload: the form's field errors, or a refused file with its batch."""

    batch = ImportBatchSerializer(
        required=False, help_text=_("The recorded batch, when the file was read and refused.")
    )
