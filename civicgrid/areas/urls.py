from django.urls import path

from civicgrid.areas import views

app_name = "areas"

urlpatterns = [
    path("", views.area_list, name="list"),
    path("map/", views.grid_map, name="map"),
    path("map/grids.geojson", views.grids_geojson, name="grids-geojson"),
    path("<str:code>/", views.area_detail, name="detail"),
]
