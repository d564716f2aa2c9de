"""Content negotiation that answers an unknown or empty ``?format=`` with a 406 in the
API's error shape (DRF answers 404 for an unknown format and ignores an empty one). A
format suffix in the path (``/communities/1.5/``) names no resource: it stays a 404."""
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation

__all__ = ["ContentNegotiation", "MSG_EMPTY_FORMAT", "MSG_UNKNOWN_FORMAT"]

MSG_UNKNOWN_FORMAT = _("This endpoint does not answer in the format “%(format)s”; it answers in: %(formats)s.")
MSG_EMPTY_FORMAT = _("The format parameter is empty; this endpoint answers in: %(formats)s.")


class ContentNegotiation(DefaultContentNegotiation):
    def select_renderer(self, request, renderers, format_suffix=None):
        formats = ", ".join(dict.fromkeys(r.format for r in renderers if r.format != "api"))  # not the browsable page
        requested = request.query_params.get(self.settings.URL_FORMAT_OVERRIDE)
        if format_suffix or requested is None:
            return super().select_renderer(request, renderers, format_suffix)
        if not requested.strip():
            raise NotAcceptable(MSG_EMPTY_FORMAT % {"formats": formats})
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except Http404:
            raise NotAcceptable(MSG_UNKNOWN_FORMAT % {"format": requested[:40], "formats": formats}) from None
