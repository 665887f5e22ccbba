"""/api/v1/: every domain app registers its viewsets here."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from civicgrid.accounts.apis import ObtainTokenView
from civicgrid.areas.apis import AreaViewSet, GridViewSet
from civicgrid.cases.apis import CaseViewSet
from civicgrid.cases.import_apis import CaseImportView
from civicgrid.mediation.apis import DisputeViewSet, ScreeningReportViewSet
from civicgrid.notifications.apis import NotificationViewSet

router = DefaultRouter()
router.include_root_view = False
router.register("areas", AreaViewSet, basename="area")
router.register("grids", GridViewSet, basename="grid")
router.register("cases", CaseViewSet, basename="case")
router.register("notifications", NotificationViewSet, basename="notification")
router.register("disputes", DisputeViewSet, basename="dispute")
router.register("screening-reports", ScreeningReportViewSet, basename="screening-report")

urlpatterns = [
    path("auth/token/", ObtainTokenView.as_view(), name="api-token"),
    path("imports/cases/", CaseImportView.as_view(), name="api-import-cases"),
    path("stats/", include("civicgrid.stats.api_urls")),
    path("", include(router.urls)),
]
