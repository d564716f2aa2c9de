from django.urls import include, path


def fail_on_purpose(request):
    raise RuntimeError("a 500 on purpose, for the metrics test")


urlpatterns = [
    path("_test/fail/", fail_on_purpose, name="test-fail"),
    path("", include("healthplanner.urls")),
]
