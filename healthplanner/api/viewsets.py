"""The API's shared bases: CRUD and read-only viewsets with filters, search, ordering,
pagination and CSV; JSON errors whatever the format; rows counted from another queryset."""
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, filters, viewsets
from rest_framework.renderers import JSONRenderer

from .filters import FilterBackend
from .permissions import ReadModelPermissions, ViewModelPermissions

__all__ = [
    "FORMAT_PARAMETER",
    "MSG_NUL_IN_SEARCH",
    "BaseViewSet",
    "CountedRows",
    "JSONErrorsMixin",
    "ReadOnlyBaseViewSet",
    "SearchFilter",
]

MSG_NUL_IN_SEARCH = _("The search text cannot contain NUL characters.")

FORMAT_PARAMETER = OpenApiParameter(
    "format", OpenApiTypes.STR, enum=["json", "csv"],
    description=_("Response format: json (default) or csv (one line per row of this page)."),
)


class CountedRows:
    """Rows to paginate whose count comes from another queryset: counting the filtered
    queryset skips the joins that only the selected columns need."""

    ordered = True

    def __init__(self, rows, *, counted):
        self.rows, self.counted = rows, counted

    def count(self):
        return self.counted.count()

    def __getitem__(self, index):
        return self.rows[index]


class SearchFilter(filters.SearchFilter):
    def get_search_terms(self, request):
        if "\x00" in request.query_params.get(self.search_param, ""):
            raise exceptions.ValidationError({self.search_param: [MSG_NUL_IN_SEARCH]})
        return super().get_search_terms(request)


class JSONErrorsMixin:
    """Errors are JSON even when the client asked for CSV or XLSX."""

    def finalize_response(self, request, response, *args, **kwargs):
        renderer = getattr(request, "accepted_renderer", None)
        if response.status_code >= 400 and renderer is not None and renderer.format in ("csv", "xlsx"):
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)


@extend_schema_view(list=extend_schema(parameters=[FORMAT_PARAMETER]))
class BaseViewSet(JSONErrorsMixin, viewsets.ModelViewSet):
    """CRUD with filters, search, ordering, pagination, CSV, and writes in a savepoint."""

    filter_backends = [FilterBackend, SearchFilter, filters.OrderingFilter]
    permission_classes = [ViewModelPermissions]
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]

    def perform_create(self, serializer):
        with transaction.atomic():
            serializer.save()

    def perform_update(self, serializer):
        with transaction.atomic():
            serializer.save()

    def perform_destroy(self, instance):
        with transaction.atomic():
            instance.delete()


@extend_schema_view(list=extend_schema(parameters=[FORMAT_PARAMETER]))
class ReadOnlyBaseViewSet(JSONErrorsMixin, viewsets.ReadOnlyModelViewSet):
    """List and detail with filters, search, ordering, pagination and CSV; nothing else."""

    filter_backends = [FilterBackend, SearchFilter, filters.OrderingFilter]
    permission_classes = [ReadModelPermissions]
    http_method_names = ["get", "head", "options"]
