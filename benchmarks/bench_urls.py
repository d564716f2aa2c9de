"""The project's URLs plus the floor: the same query as the API list, served by a
minimal Django view returning ``json.dumps`` of ``.values()`` (no DRF, no auth)."""
import json

from django.http import HttpResponse
from django.urls import path

from healthplanner.urls import urlpatterns as project_urlpatterns
from interventions.models import IndicatorValue
from modeling.models import CommunityScore

FIELDS = ("id", "community_id", "community__code", "indicator_id", "indicator__code", "year", "value",
          "lower", "upper", "sample_size", "source", "import_batch_id")


def floor_indicator_values(request):
    queryset = IndicatorValue.objects.all()
    if request.GET.get("indicator"):
        queryset = queryset.filter(indicator__code=request.GET["indicator"])
    if request.GET.get("year"):
        queryset = queryset.filter(year=int(request.GET["year"]))
    size = int(request.GET.get("page_size", 50))
    rows = list(queryset.values(*FIELDS)[:size])
    body = json.dumps({"count": queryset.count(), "results": rows})
    return HttpResponse(body, content_type="application/json")


SCORE_FIELDS = ("id", "version_id", "version__target__code", "community__code", "community_id", "community__name",
                "year", "priority", "burden_component", "equity_component", "cost_effectiveness_component",
                "observed", "predicted", "lower", "upper", "target_population", "cases", "poverty", "interventions")


def floor_scores(request):
    queryset = CommunityScore.objects.filter(version__status="active").order_by("-priority", "community__code")
    size = int(request.GET.get("page_size", 50))
    rows = list(queryset.values(*SCORE_FIELDS)[:size])
    body = json.dumps({"count": queryset.count(), "results": rows})
    return HttpResponse(body, content_type="application/json")


urlpatterns = [
    path("bench/floor/indicator-values/", floor_indicator_values),
    path("bench/floor/scores/", floor_scores),
    *project_urlpatterns,
]
