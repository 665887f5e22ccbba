"""/api/v1/stats/ (included by civicgrid/api_urls.py)."""

from django.urls import path

from civicgrid.stats import apis

urlpatterns = [
    path("summary/", apis.SummaryView.as_view(), name="api-stats-summary"),
    path("breakdown/", apis.BreakdownView.as_view(), name="api-stats-breakdown"),
    path("cases/", apis.DrilldownView.as_view(), name="api-stats-cases"),
]
