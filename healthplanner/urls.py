from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from healthplanner.health import healthz, readyz
from healthplanner.metrics_export import metrics_view

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("reports/", include("modeling.urls")),
    path("api/v1/", include("healthplanner.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file: no inline script, so the
    # Content-Security-Policy needs no 'unsafe-inline' for scripts.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    # django-prometheus's export behind the bearer token (METRICS_TOKEN); the URL name is the
    # ``view`` label the dashboards know.
    path("metrics", metrics_view, name="prometheus-django-metrics"),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
]

# Unknown paths under /api/ answer with the API's JSON error body.
handler404 = "healthplanner.api.exceptions.page_not_found"
# Server faults under /api/ answer in the same body (503 with Retry-After when the database
# does not answer).
handler500 = "healthplanner.api.exceptions.server_error"
