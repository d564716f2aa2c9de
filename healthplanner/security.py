"""Who the client is (its address, behind a known number of proxies) and the admin
lockout page (django-axes calls :func:`lockout_response`)."""
from django.conf import settings
from django.shortcuts import render

__all__ = ["client_address", "lockout_response"]


def client_address(request) -> str:
    """The client's address as DRF's throttles read it: the connection's address, or with
    ``NUM_PROXIES`` trusted proxies in front, the one the outermost of them appended to
    ``X-Forwarded-For``. A client cannot pick its own address by sending that header."""
    remote = request.META.get("REMOTE_ADDR", "") or ""
    proxies = settings.NUM_PROXIES
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    if not proxies or not forwarded:
        return remote
    addresses = [a.strip() for a in forwarded.split(",") if a.strip()]
    if not addresses:
        return remote
    return addresses[-min(proxies, len(addresses))]


def lockout_response(request, original_response=None, credentials=None):
    """A 429 page in the admin's look, in the request's language, with Retry-After."""
    cool_off = int(settings.AXES_COOLOFF_TIME.total_seconds())
    response = render(
        request, "admin/locked_out.html",
        {"message": settings.AXES_COOLOFF_MESSAGE, "title": settings.AXES_COOLOFF_MESSAGE,
         "minutes": max(1, cool_off // 60)},
        status=429,
    )
    response["Retry-After"] = str(cool_off)
    return response
