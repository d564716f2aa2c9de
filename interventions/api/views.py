"""API viewsets: thin classes over the models; one router in ``urls.py``."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, parsers, status
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.settings import api_settings

from healthplanner.api.permissions import ReadAndAddModelPermissions, ViewModelPermissions
from healthplanner.api.viewsets import FORMAT_PARAMETER, BaseViewSet, CountedRows

from ..choices import ImportStatus
from ..importers.forms import ImportForm
from ..importers.uploads import GENERIC, UploadTooLarge, upload_check_size
from ..importers.uploads import MSG_TOO_LARGE as MSG_UPLOAD_TOO_LARGE
from ..models import (
    Community,
    ImportBatch,
    Indicator,
    IndicatorValue,
    Intervention,
    InterventionType,
    Partner,
)
from ..selectors import (
    MSG_WIDE_SOURCES,
    WideSourceConflict,
    indicator_value_wide_keys,
    indicator_value_wide_rows,
    intervention_list,
)
from ..services.imports import import_batch_from_upload
from ..services.interventions import NotYourPartner, intervention_create, intervention_update
from . import filtersets, serializers
from .permissions import OwnPartnerInterventions

__all__ = [
    "MSG_BAD_LAYOUT",
    "MSG_WIDE_SOURCES",
    "CommunityViewSet",
    "IndicatorViewSet",
    "IndicatorValueViewSet",
    "InterventionTypeViewSet",
    "PartnerViewSet",
    "InterventionViewSet",
    "ImportBatchViewSet",
    "MSG_IMPORT_REFUSED",
    "MSG_UPLOAD_TOO_LARGE",
]

MSG_BAD_LAYOUT = _("Use layout=long (one row per value) or layout=wide (one row per community and year).")
MSG_IMPORT_REFUSED = _("Import batch %(id)s was refused: nothing was written. See errors and batch.errors.")

class CommunityViewSet(BaseViewSet):
    """Departments, provinces and districts by UBIGEO code (and Peru as ``PE``). The
    list leaves out the GeoJSON shape; one community's detail includes it."""

    queryset = Community.objects.select_related("parent")
    filterset_class = filtersets.CommunityFilterSet
    search_fields = ["code", "name"]
    ordering_fields = ["code", "name", "level", "population", "altitude_m", "area_km2"]

    def get_queryset(self):
        queryset = super().get_queryset()
        return queryset.defer("geometry") if self.action == "list" else queryset

    def get_serializer_class(self):
        if self.action == "list":
            return serializers.CommunitySerializer
        return serializers.CommunityDetailSerializer


class IndicatorViewSet(BaseViewSet):
    """Measured quantities with their unit, valid range and direction."""

    queryset = Indicator.objects.all()
    serializer_class = serializers.IndicatorSerializer
    filterset_class = filtersets.IndicatorFilterSet
    search_fields = ["code", "name", "description", "source"]
    ordering_fields = ["code", "name", "category"]


@extend_schema_view(
    list=extend_schema(
        parameters=[
            FORMAT_PARAMETER,
            OpenApiParameter(
                "layout", OpenApiTypes.STR, enum=["long", "wide"],
                description=_(
                    "long (default): one row per value. wide: one row per community and "
                    "year, one column per indicator code (the value, or null)."
                ),
            ),
        ]
    )
)
class IndicatorValueViewSet(BaseViewSet):
    """One indicator for one community in one year, from one source."""

    queryset = IndicatorValue.objects.select_related("community", "indicator")
    serializer_class = serializers.IndicatorValueSerializer
    filterset_class = filtersets.IndicatorValueFilterSet
    search_fields = ["community__code", "community__name", "indicator__code"]
    ordering_fields = ["year", "value", "source", "community__code", "indicator__code"]
    wide_layout = True

    def list(self, request, *args, **kwargs):
        layout = request.query_params.get("layout", "long")
        if layout not in ("long", "wide"):
            raise exceptions.ValidationError({"layout": [MSG_BAD_LAYOUT]})
        if layout == "long":
            return self.long_list()
        return self.wide_list()

    # Output name → ORM path, exactly the serializer's fields (a test holds them equal).
    LONG_COLUMNS = {
        "id": "id", "community": "community__code", "community_id": "community_id",
        "indicator": "indicator__code", "indicator_id": "indicator_id", "year": "year",
        "value": "value", "lower": "lower", "upper": "upper", "sample_size": "sample_size",
        "source": "source", "import_batch": "import_batch_id",
    }

    def long_list(self):
        """The list read straight from ``values_list``: the largest table's list skips
        model instances and serializer fields (about 3x faster), same output."""
        names, paths = zip(*self.LONG_COLUMNS.items(), strict=True)
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(CountedRows(queryset.values_list(*paths), counted=queryset))
        return self.get_paginated_response([dict(zip(names, row, strict=True)) for row in page])

    def wide_list(self):
        values = self.filter_queryset(self.get_queryset())
        keys, counted = indicator_value_wide_keys(values=values)
        page = self.paginate_queryset(CountedRows(keys, counted=counted))
        try:
            rows = indicator_value_wide_rows(values=values, keys=page)
        except WideSourceConflict as conflict:
            raise exceptions.ValidationError({"source": [conflict.message]}) from None
        return self.get_paginated_response(rows)


class InterventionTypeViewSet(BaseViewSet):
    """The intervention catalogue: what each type acts on, its cost and its evidence."""

    queryset = InterventionType.objects.select_related("indicator", "coverage_indicator")
    serializer_class = serializers.InterventionTypeSerializer
    filterset_class = filtersets.InterventionTypeFilterSet
    search_fields = ["code", "name", "evidence", "description"]
    ordering_fields = ["code", "name", "category", "cost_per_beneficiary_pen", "effect_relative"]


class PartnerViewSet(BaseViewSet):
    """Organisations that deliver interventions."""

    queryset = Partner.objects.all()
    serializer_class = serializers.PartnerSerializer
    filterset_class = filtersets.PartnerFilterSet
    search_fields = ["name", "acronym"]
    ordering_fields = ["name", "acronym", "kind"]


class InterventionViewSet(BaseViewSet):
    """Interventions delivered by partners. A partner's users see and write only their
    own organisation's; editors see and write all."""

    queryset = Intervention.objects.select_related("community", "intervention_type", "partner")
    serializer_class = serializers.InterventionSerializer
    filterset_class = filtersets.InterventionFilterSet
    permission_classes = [ViewModelPermissions, OwnPartnerInterventions]
    search_fields = ["community__code", "community__name", "intervention_type__name", "partner__name", "notes"]
    ordering_fields = ["start_date", "end_date", "budget_pen", "beneficiaries", "status", "community__code"]

    def get_queryset(self):
        return intervention_list(user=self.request.user, queryset=super().get_queryset())

    def perform_create(self, serializer):
        try:
            serializer.instance = intervention_create(user=self.request.user, data=serializer.validated_data)
        except NotYourPartner as refused:
            raise exceptions.PermissionDenied(refused.message) from None

    def perform_update(self, serializer):
        try:
            serializer.instance = intervention_update(
                user=self.request.user, intervention=serializer.instance, data=serializer.validated_data
            )
        except NotYourPartner as refused:
            raise exceptions.PermissionDenied(refused.message) from None


class RequestTooLarge(exceptions.APIException):
    status_code = 413
    default_code = "too_large"


def _form_errors(form):
    return {
        (api_settings.NON_FIELD_ERRORS_KEY if name == "__all__" else name): [str(m) for m in messages]
        for name, messages in form.errors.items()
    }


@extend_schema_view(
    list=extend_schema(parameters=[FORMAT_PARAMETER]),
    create=extend_schema(
        request={"multipart/form-data": serializers.ImportUploadSerializer},
        responses={201: serializers.ImportBatchSerializer, 202: serializers.ImportBatchSerializer,
                   400: serializers.ImportRefusedSerializer},
        description=_(
            "Upload a file with an adapter name or a column mapping; it is read, checked and written "
            "all or nothing by the same importer the admin uses. 201 with the batch when written (or "
            "checked, with dry_run); 400 with every row-level error when refused (the batch is still "
            "recorded and returned under batch); 202 with the queued batch for a file above the worker "
            "threshold, which the worker reads: follow Location (the batch) until its status is no longer "
            "queued or running, its stage and progress say how far it is; 413 for a file above the size "
            "limit. Needs "
            "interventions.add_importbatch."
        ),
    ),
)
class ImportBatchViewSet(BaseViewSet):
    """Import batches: upload files, and read what each run read, wrote and refused."""

    queryset = ImportBatch.objects.select_related("user")
    serializer_class = serializers.ImportBatchSerializer
    filterset_class = filtersets.ImportBatchFilterSet
    search_fields = ["source", "file_name", "sha256"]
    ordering_fields = ["started_at", "finished_at", "source", "status", "rows_read", "rows_written", "rows_rejected"]
    http_method_names = ["get", "post", "head", "options"]
    permission_classes = [ReadAndAddModelPermissions]
    parser_classes = [parsers.MultiPartParser, parsers.FormParser]

    def get_serializer_class(self):
        if self.action == "create":
            return serializers.ImportUploadSerializer
        return serializers.ImportBatchSerializer

    def create(self, request, *args, **kwargs):
        upload = request.FILES.get("file")
        if upload is not None:
            try:
                upload_check_size(upload)
            except UploadTooLarge as exc:
                raise RequestTooLarge(exc.message) from None
        data = {key: request.data.get(key) for key in request.data if key != "file"}
        if not data.get("adapter"):
            data["adapter"] = GENERIC
        try:
            dry_run = serializers.ImportUploadSerializer().fields["dry_run"].to_internal_value(
                data.pop("dry_run", None) or False
            )
        except exceptions.ValidationError as exc:
            raise exceptions.ValidationError({"dry_run": exc.detail}) from None
        form = ImportForm(data, request.FILES)
        if not form.is_valid():
            raise exceptions.ValidationError(_form_errors(form))
        uploaded = import_batch_from_upload(user=request.user, upload=form.cleaned_data["file"],
                                            options=form.options(), dry_run=dry_run)
        batch = uploaded.batch
        if uploaded.queued:
            batch.refresh_from_db()
        body = serializers.ImportBatchSerializer(batch, context=self.get_serializer_context()).data
        if uploaded.queued and batch.status in (ImportStatus.QUEUED, ImportStatus.RUNNING):
            location = reverse("importbatch-detail", args=[batch.pk], request=request)
            return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": location})
        if batch.status == ImportStatus.FAILED:
            # Not raised: the batch row stays recorded (no rollback), with every error.
            return Response({
                "status": 400, "code": "import_refused", "detail": str(MSG_IMPORT_REFUSED % {"id": batch.pk}),
                "errors": {"file": [e["message"] for e in batch.errors]}, "batch": body,
            }, status=status.HTTP_400_BAD_REQUEST)
        return Response(body, status=status.HTTP_201_CREATED)
