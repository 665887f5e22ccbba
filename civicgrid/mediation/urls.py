from django.urls import path

from civicgrid.mediation.views import pages, screening, stats

app_name = "mediation"

urlpatterns = [
    path("", pages.dispute_list, name="list"),
    path("new/", pages.register, name="register"),
    path("screening/", screening.screening, name="screening"),
    path("stats/", stats.stats, name="stats"),
    path("stats/disputes/", stats.behind, name="behind"),
    path("<int:pk>/", pages.dispute_detail, name="detail"),
    path("<int:pk>/agreement.pdf", pages.agreement_document, name="agreement"),
    path("<int:pk>/act/<str:action>/", pages.dispute_action, name="act"),
    path("<int:pk>/parties/", pages.reveal_parties, name="reveal"),
]
