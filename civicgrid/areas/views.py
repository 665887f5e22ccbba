"""Pages for areas and grids: a browsable tree and a map (thin: reads via selectors)."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from civicgrid.areas.selectors import areas_visible_to, grids_visible_to

MAX_MAP_GRIDS = 20000


def _top_areas(request: HttpRequest):  # type: ignore[no-untyped-def]
    """The outermost visible areas: those whose parent the user cannot see."""
    visible = areas_visible_to(request.user)
    return visible.exclude(parent__in=visible.values("pk")).order_by("code")


def area_list(request: HttpRequest) -> HttpResponse:
    return render(request, "areas/area_list.html", {"areas": _top_areas(request)})


def area_detail(request: HttpRequest, code: str) -> HttpResponse:
    area = areas_visible_to(request.user).filter(code=code).first()
    if area is None:
        raise Http404("区划不存在")
    children = areas_visible_to(request.user).filter(parent=area).order_by("code")
    grids = grids_visible_to(request.user).filter(code__startswith=area.code).order_by("code")[:500]
    crumbs = areas_visible_to(request.user).filter(code__in=area.ancestor_codes()).order_by("code")
    return render(request, "areas/area_detail.html", {
        "area": area, "children": children, "grids": grids, "crumbs": crumbs,
    })


def grid_map(request: HttpRequest) -> HttpResponse:
    return render(request, "areas/map.html", {
        "tile_url": settings.MAP_TILE_URL,
        "tile_attribution": settings.MAP_TILE_ATTRIBUTION,
        "area": request.GET.get("area", ""),
    })


def grids_geojson(request: HttpRequest) -> JsonResponse:
    grids = grids_visible_to(request.user)
    area = request.GET.get("area", "")
    if area:
        grids = grids.filter(code__startswith=area)
    features = [
        {
            "type": "Feature",
            "geometry": g.geometry,
            "properties": {"code": g.code, "name": g.name, "village": g.village.name},
        }
        for g in grids.order_by("code")[:MAX_MAP_GRIDS]
    ]
    return JsonResponse({"type": "FeatureCollection", "features": features})
