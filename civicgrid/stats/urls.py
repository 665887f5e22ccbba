from django.urls import path

from civicgrid.stats import views

app_name = "stats"

urlpatterns = [
    path("", views.centre, name="centre"),
    path("cases/", views.cases, name="cases"),
    path("export/<str:kind>.xlsx", views.export, name="export"),
]
