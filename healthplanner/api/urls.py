"""/api/v1/: every app's router composed into one, so that the paths stay flat and the API
root lists every endpoint. An app adds its endpoints in its own ``api/urls.py``."""
from interventions.api.urls import router as interventions_router
from modeling.api.urls import router as modeling_router

from .routers import Router

__all__ = ["router", "urlpatterns"]

APP_ROUTERS = (interventions_router, modeling_router)

router = Router()
for app_router in APP_ROUTERS:
    router.registry.extend(app_router.registry)

urlpatterns = router.urls
