"""Areas and grids over the API: thin views over the scoped selectors."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from civicgrid.areas import locator
from civicgrid.areas.coords import gcj02_to_wgs84
from civicgrid.areas.models import Area, Grid
from civicgrid.areas.selectors import areas_visible_to, grids_visible_to
from civicgrid.core.errors import NotFound, ValidationFailed


class AreaSerializer(serializers.ModelSerializer[Area]):
    parent_code = serializers.CharField(source="parent.code", allow_null=True, read_only=True)

    class Meta:
        model = Area
        fields = ["id", "code", "name", "level", "parent_code"]


class GridSerializer(serializers.ModelSerializer[Grid]):
    village_code = serializers.CharField(source="village.code", read_only=True)
    village_name = serializers.CharField(source="village.name", read_only=True)

    class Meta:
        model = Grid
        fields = [
            "id", "code", "name", "village_code", "village_name",
            "centroid_lat", "centroid_lng", "valid_from", "valid_to",
        ]


class GridGeometrySerializer(GridSerializer):
    class Meta(GridSerializer.Meta):
        fields = [*GridSerializer.Meta.fields, "geometry"]


class AreaViewSet(viewsets.ReadOnlyModelViewSet[Area]):
    serializer_class = AreaSerializer

    def get_queryset(self):  # type: ignore[no-untyped-def]
        qs = areas_visible_to(self.request.user)
        level = self.request.query_params.get("level")
        if level:
            qs = qs.filter(level=level)
        parent = self.request.query_params.get("parent")
        if parent:
            qs = qs.filter(parent__code=parent)
        return qs

    @extend_schema(
        parameters=[
            OpenApiParameter("level", OpenApiTypes.STR, description="province/city/county/township/village"),
            OpenApiParameter("parent", OpenApiTypes.STR, description="上级区划代码"),
        ]
    )
    def list(self, request: Request, *args, **kwargs) -> Response:  # type: ignore[no-untyped-def]
        return super().list(request, *args, **kwargs)


def _coordinate(request: Request, name: str, low: float, high: float) -> float:
    raw = request.query_params.get(name)
    if raw is None or raw.strip() == "":
        raise ValidationFailed(f"缺少参数 {name}。", code="missing_coordinate", fields={name: ["必填"]})
    try:
        value = float(raw)
    except ValueError:
        raise ValidationFailed(
            f"参数 {name} 不是数字。", code="invalid_coordinate", fields={name: ["不是数字"]}
        ) from None
    if not (low <= value <= high):  # also rejects NaN
        raise ValidationFailed(
            f"参数 {name} 超出范围 [{low}, {high}]。", code="invalid_coordinate",
            fields={name: ["超出范围"]},
        )
    return value


class GridViewSet(viewsets.ReadOnlyModelViewSet[Grid]):
    def get_serializer_class(self):  # type: ignore[no-untyped-def]
        return GridGeometrySerializer if self.action == "retrieve" else GridSerializer

    def get_queryset(self):  # type: ignore[no-untyped-def]
        qs = grids_visible_to(self.request.user, include_history=self.action == "retrieve")
        village = self.request.query_params.get("village")
        if village:
            qs = qs.filter(village__code=village)
        return qs

    @extend_schema(
        parameters=[
            OpenApiParameter("lat", OpenApiTypes.DOUBLE, required=True, description="纬度"),
            OpenApiParameter("lng", OpenApiTypes.DOUBLE, required=True, description="经度"),
            OpenApiParameter(
                "crs", OpenApiTypes.STR, enum=["wgs84", "gcj02"],
                description="坐标系：wgs84（默认，含CGCS2000）或 gcj02（手机地图）",
            ),
        ],
        responses={200: GridSerializer},
    )
    @action(detail=False, methods=["get"])
    def locate(self, request: Request) -> Response:
        """The current grid that contains the point (404 if none, or if it is outside your scope)."""
        lat = _coordinate(request, "lat", -90.0, 90.0)
        lng = _coordinate(request, "lng", -180.0, 180.0)
        crs = request.query_params.get("crs", "wgs84")
        if crs == "gcj02":
            lng, lat = gcj02_to_wgs84(lng, lat)
        elif crs != "wgs84":
            raise ValidationFailed("参数 crs 只能是 wgs84 或 gcj02。", code="invalid_crs")
        code = locator.locate(lng, lat)
        if code is None:
            raise NotFound("该位置不在任何网格内。", code="grid_not_found")
        grid = grids_visible_to(request.user).filter(code=code).first()
        if grid is None:
            raise NotFound("该位置不在任何网格内。", code="grid_not_found")
        return Response(GridSerializer(grid).data)
