from django.contrib import admin
from django.contrib.auth.decorators import login_not_required, login_required
from django.urls import include, path
from django.views.i18n import set_language
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from civicgrid.core import views as core_views

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.health, name="health"),
    path("accounts/", include("civicgrid.accounts.urls")),
    path("areas/", include("civicgrid.areas.urls")),
    path("cases/", include("civicgrid.cases.urls")),
    path("stats/", include("civicgrid.stats.urls")),
    path("disputes/", include("civicgrid.mediation.urls")),
    path("inbox/", include("civicgrid.notifications.urls")),
    path("audit/", include("civicgrid.core.audit_urls")),
    path("api/v1/", include("civicgrid.api_urls")),
    path("open311/v2/", include("civicgrid.open311.urls")),  # GeoReport v2 (ADR 0006)
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # a page for people: without a session, send them to the login page rather than a 401
    path("api/docs/", login_required(SpectacularSwaggerView.as_view(url_name="schema")), name="swagger-ui"),
    # the language switch must work on the login page too
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("admin/", admin.site.urls),
]

handler400 = "civicgrid.core.views.handler400"
handler403 = "civicgrid.core.views.handler403"
handler404 = "civicgrid.core.views.handler404"
handler500 = "civicgrid.core.views.handler500"
