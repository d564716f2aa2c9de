"""Page-number pagination with a page size the client may choose up to a cap, or every
matching row at once (``page_size=all``) up to ``API_EXPORT_MAX_ROWS``: beyond it the
answer is a 400 that says so, never a silently shortened file."""
import re

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.pagination import PageNumberPagination

__all__ = ["ALL_ROWS", "MSG_BAD_PAGE", "MSG_BAD_PAGE_SIZE", "MSG_TOO_MANY_ROWS", "Pagination"]

ALL_ROWS = "all"
MSG_TOO_MANY_ROWS = _("page_size=all would give %(count)s rows, more than the %(max)s one download may hold "
                      "(API_EXPORT_MAX_ROWS): narrow the filters, or page through with a number as page_size.")
MSG_BAD_PAGE_SIZE = _("page_size is a whole number of rows (at most API_MAX_PAGE_SIZE) or all.")
MSG_BAD_PAGE = _("page is a page number (1, 2, …) or last.")
PAGE_PATTERN = r"^([0-9]{1,9}|last)$"
PAGE_SIZE_PATTERN = r"^(all|[0-9]{1,9})$"
PAGE_SIZE_DESCRIPTION = _("Rows per page, at most API_MAX_PAGE_SIZE; or all: every matching row on one page (for "
                          "format=csv or xlsx downloads), at most API_EXPORT_MAX_ROWS, else 400.")


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"

    @property
    def max_page_size(self):
        return settings.API_MAX_PAGE_SIZE

    def paginate_queryset(self, queryset, request, view=None):
        self.all_rows = None
        asked = request.query_params.get(self.page_size_query_param)
        if asked is not None and not re.fullmatch(PAGE_SIZE_PATTERN, asked):  # DRF would ignore it
            raise exceptions.ValidationError({self.page_size_query_param: [str(MSG_BAD_PAGE_SIZE)]})
        page = request.query_params.get(self.page_query_param)
        if page is not None and not re.fullmatch(PAGE_PATTERN, page):  # DRF reads "" as page 1
            raise exceptions.ValidationError({self.page_query_param: [str(MSG_BAD_PAGE)]})
        if asked == ALL_ROWS:
            count = queryset.count() if hasattr(queryset, "count") and not isinstance(queryset, list) else len(queryset)
            limit = settings.API_EXPORT_MAX_ROWS
            if count > limit:
                raise exceptions.ValidationError(
                    {self.page_size_query_param: [str(MSG_TOO_MANY_ROWS % {"count": count, "max": limit})]})
            self.all_rows = max(count, 1)
        return super().paginate_queryset(queryset, request, view)

    def get_page_size(self, request):
        if getattr(self, "all_rows", None):
            return self.all_rows
        return super().get_page_size(request)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["description"] = str(PAGE_SIZE_DESCRIPTION)
                parameter["schema"] = {"type": "string", "pattern": PAGE_SIZE_PATTERN}
            elif parameter["name"] == self.page_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": 999999999}
        return parameters
