"""The one API router. Other apps register their viewsets on ``router`` too."""
from rest_framework import permissions, routers

from . import views

__all__ = ["router"]


class Router(routers.DefaultRouter):
    class APIRootView(routers.APIRootView):
        permission_classes = [permissions.IsAuthenticated]


router = Router()
router.register("communities", views.CommunityViewSet)
router.register("indicators", views.IndicatorViewSet)
router.register("indicator-values", views.IndicatorValueViewSet)
router.register("intervention-types", views.InterventionTypeViewSet)
router.register("partners", views.PartnerViewSet)
router.register("interventions", views.InterventionViewSet)
router.register("imports", views.ImportBatchViewSet)


def _register_modeling():
    from modeling.api import views as modeling

    router.register("model-versions", modeling.ModelVersionViewSet)
    router.register("scores", modeling.CommunityScoreViewSet)
    router.register("plans", modeling.PlanViewSet)
    router.register("predictions", modeling.PredictionViewSet, basename="prediction")
    router.register("tasks", modeling.TaskRunViewSet)


_register_modeling()
