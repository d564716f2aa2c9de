"""The router class every app registers its viewsets on."""
from rest_framework import permissions, routers

__all__ = ["Router"]


class Router(routers.DefaultRouter):
    """A DefaultRouter whose API root needs an authenticated user."""

    class APIRootView(routers.APIRootView):
        permission_classes = [permissions.IsAuthenticated]
