"""The project's URLs plus an API path that fails on purpose (the JSON 500 under /api/)."""
from django.urls import path

from healthplanner.urls import handler404, handler500  # noqa: F401
from healthplanner.urls import urlpatterns as project_urls


def fail_on_purpose(request):
    raise RuntimeError("a server fault on purpose, for the health tests")


urlpatterns = [path("api/v1/_test/fail/", fail_on_purpose), *project_urls]
