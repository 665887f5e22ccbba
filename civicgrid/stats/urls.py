from django.urls import path

from civicgrid.stats import assessment_views, views

app_name = "stats"

urlpatterns = [
    path("", views.centre, name="centre"),
    path("cases/", views.cases, name="cases"),
    path("export/<str:kind>.xlsx", views.export, name="export"),
    path("assessment/", assessment_views.page, name="assessment"),
    path("assessment/published/<int:pk>/", assessment_views.published, name="published"),
    path("assessment/published/<int:pk>.xlsx", assessment_views.published, name="published-xlsx"),
]
