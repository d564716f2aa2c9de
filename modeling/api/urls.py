"""Modeling's endpoints; ``healthplanner.api.urls`` composes them under /api/v1/."""
from healthplanner.api.routers import Router

from . import views

__all__ = ["router", "urlpatterns"]

router = Router()
router.register("model-versions", views.ModelVersionViewSet)
router.register("scores", views.CommunityScoreViewSet)
router.register("plans", views.PlanViewSet)
router.register("predictions", views.PredictionViewSet, basename="prediction")
router.register("tasks", views.TaskRunViewSet)

urlpatterns = router.urls
