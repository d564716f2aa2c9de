"""The report pages (``/reports/``); ``healthplanner/urls.py`` includes them."""
from django.urls import path

from . import views

urlpatterns = [
    path("plans/<int:pk>/", views.plan_report_view, name="plan_report"),
]
