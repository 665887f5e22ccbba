"""/api/v1/stats/: the command centre's figures for the caller's scope (thin: parse, read)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from civicgrid.cases.apis import ERROR
from civicgrid.cases.serializers import CaseSerializer, now_context
from civicgrid.core.api import Pagination
from civicgrid.stats import drilldown, figures
from civicgrid.stats.models import FoldState
from civicgrid.stats.selectors import KpiQuery, kpi_query

FILTERS = [
    OpenApiParameter("period", str, enum=["day", "week", "month", "quarter", "year", "custom"],
                     description="统计周期（默认 month）"),
    OpenApiParameter("date", str, description="周期所含的日期 YYYY-MM-DD（默认今天）"),
    OpenApiParameter("start", str, description="自定义期间开始 YYYY-MM-DD"),
    OpenApiParameter("end", str, description="自定义期间结束 YYYY-MM-DD（含）"),
    OpenApiParameter("area", str, description="区划代码（任一级，含下级）或 15 位网格编码"),
    OpenApiParameter("category", int, description="事项分类（大类含其小类）"),
    OpenApiParameter("channel", str, description="来源渠道"),
    OpenApiParameter("department", int, description="主办部门（0：未派遣）"),
]
ERRORS = {
    400: OpenApiResponse(ERROR, description="参数有误"),
    403: OpenApiResponse(ERROR, description="无权查看指挥中心数据（dashboard_not_permitted）"),
    404: OpenApiResponse(ERROR, description="区域不存在或不在您的范围内（area_not_found）"),
}

KPI = inline_serializer("StatsKpi", {
    "code": serializers.CharField(), "label": serializers.CharField(),
    "unit": serializers.ChoiceField(choices=["count", "rate", "hours"]),
    "value": serializers.FloatField(allow_null=True), "numerator": serializers.FloatField(),
    "denominator": serializers.FloatField(allow_null=True),
    "previous": serializers.FloatField(allow_null=True), "last_year": serializers.FloatField(allow_null=True),
    "target": serializers.FloatField(allow_null=True), "higher_is_better": serializers.BooleanField(),
    "meets_target": serializers.BooleanField(allow_null=True),
    "drill": serializers.CharField(allow_null=True, help_text="下钻口径（/api/v1/stats/cases/?measure=）"),
    "drill_url": serializers.CharField(allow_null=True),
})
PERIOD = serializers.DictField(help_text="kind, start, end, previous, last_year, area, as_of（汇总截至）")
SUMMARY = inline_serializer("StatsSummary", {
    "period": PERIOD, "kpis": serializers.ListField(child=KPI),
    "live": serializers.DictField(child=serializers.IntegerField(),
                                  help_text="received_today, open, overdue, due_soon"),
    "generated_at": serializers.DateTimeField(),
})
BREAKDOWN = inline_serializer("StatsBreakdown", {
    "by": serializers.CharField(), "period": PERIOD,
    "rows": serializers.ListField(child=serializers.DictField(), help_text="key, name 与各项数值"),
})


def describe(q: KpiQuery) -> dict[str, Any]:
    state = FoldState.objects.filter(name="cases").values_list("folded_at", flat=True).first()
    return {"kind": q.kind, "start": q.period.start, "end": q.period.end,
            "previous": {"start": q.period.previous().start, "end": q.period.previous().end},
            "last_year": {"start": q.period.last_year().start, "end": q.period.last_year().end},
            "area": q.area, "as_of": state}


class SummaryView(APIView):
    @extend_schema(parameters=FILTERS, responses={200: SUMMARY, **ERRORS})
    def get(self, request: Request) -> Response:
        """本期各项指标（含上期、去年同期、目标）与实时数（今日受理、在办、超期、将到期）。"""
        q = kpi_query(request.user, request.query_params)
        return Response({"period": describe(q), **figures.summary(q), "generated_at": timezone.now()})


class BreakdownView(APIView):
    @extend_schema(parameters=[*FILTERS, OpenApiParameter(
        "by", str, enum=sorted(figures.BREAKDOWNS), required=True, description="分组方式")],
        responses={200: BREAKDOWN, **ERRORS})
    def get(self, request: Request) -> Response:
        """按乡镇/部门/渠道/分类/网格分组的指标，或趋势（日/月）。"""
        q = kpi_query(request.user, request.query_params)
        by = request.query_params.get("by", "")
        return Response({"by": by, "period": describe(q), "rows": figures.breakdown(q, by)})


class DrilldownView(APIView):
    pagination_class = Pagination

    @extend_schema(parameters=[*FILTERS, OpenApiParameter(
        "measure", str, enum=sorted(drilldown.MEASURES), required=True, description="统计口径")],
        responses={200: CaseSerializer(many=True), **ERRORS})
    def get(self, request: Request) -> Response:
        """某个数字背后的事件清单（条数与指标数一致）。"""
        q = kpi_query(request.user, request.query_params)
        qs = drilldown.cases_behind(q, request.query_params.get("measure", "")).order_by("-created_at", "-id")
        paginator = Pagination()
        page = paginator.paginate_queryset(qs, request, view=self)
        data = CaseSerializer(page, many=True, context=now_context(request)).data
        return paginator.get_paginated_response(data)
