"""The failed-authentication throttle, in front of every API view (settings.MIDDLEWARE).

A request to ``/api/`` whose credentials are refused (401 ``authentication_failed``: a
wrong, unknown or expired token) counts against its client address; once an address has
used up the ``auth_failure`` rate, every API request from it gets the API's 429 with
``Retry-After`` until the window ends, before any token is looked at. Whichever
authentication class the API uses, a refusal is the same 401 code, so the count does not
depend on it.
"""
from .throttling import auth_failure_record, auth_failure_wait, throttled_response

__all__ = ["FailedAuthenticationThrottleMiddleware", "API_PREFIX"]

API_PREFIX = "/api/"


def _refused_credentials(response) -> bool:
    if response.status_code != 401:
        return False
    data = getattr(response, "data", None)
    return isinstance(data, dict) and data.get("code") == "authentication_failed"


class FailedAuthenticationThrottleMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        wait = auth_failure_wait(request)
        if wait is not None:
            return throttled_response(wait)
        response = self.get_response(request)
        if _refused_credentials(response):
            auth_failure_record(request)
        return response
