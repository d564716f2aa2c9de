"""Page-number pagination with a page size the client may choose up to a cap."""
from django.conf import settings
from rest_framework.pagination import PageNumberPagination

__all__ = ["Pagination"]


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"

    @property
    def max_page_size(self):
        return settings.API_MAX_PAGE_SIZE
