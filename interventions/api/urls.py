"""The domain's endpoints; ``healthplanner.api.urls`` composes them under /api/v1/."""
from healthplanner.api.routers import Router

from . import views

__all__ = ["router", "urlpatterns"]

router = Router()
router.register("communities", views.CommunityViewSet)
router.register("indicators", views.IndicatorViewSet)
router.register("indicator-values", views.IndicatorValueViewSet)
router.register("intervention-types", views.InterventionTypeViewSet)
router.register("partners", views.PartnerViewSet)
router.register("interventions", views.InterventionViewSet)
router.register("imports", views.ImportBatchViewSet)

urlpatterns = router.urls
