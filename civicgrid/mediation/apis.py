"""Disputes over the API (/api/v1/disputes/, /api/v1/screening-reports/): thin.

Every read goes through the scoped selectors (outside scope = 404, like missing); every write
through one ``services`` function; domain errors become the one error format of ``core.api``
(which also documents the error answers of every operation).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from civicgrid.core.api import IF_MATCH, expected_version
from civicgrid.core.api_limits import LimitedFormParser, LimitedJSONParser
from civicgrid.core.errors import ValidationFailed
from civicgrid.mediation import kpis, services
from civicgrid.mediation import serializers as s
from civicgrid.mediation.models import Dispute, DisputeType, Level, Risk, ScreeningReport, State
from civicgrid.mediation.selectors import (
    dispute_for,
    disputes_of_person,
    disputes_visible_to,
    missing_screening,
    screening_reports_visible_to,
    watch_list,
)

TRUE = ("1", "true", "yes")
CUTS = list(kpis.CUTS)


def _detail(request: Request, dispute: Dispute, status: int = 200) -> Response:
    response = Response(s.DisputeDetailSerializer(dispute, context={"request": request}).data,
                        status=status)
    response["ETag"] = f'"{dispute.version}"'
    return response


def _choice(params: Any, name: str, allowed: list[str]) -> str | None:
    value = params.get(name)
    if value in (None, ""):
        return None
    if value not in allowed:
        raise ValidationFailed(f"参数 {name} 无效。", code=f"invalid_{name}", fields={name: allowed})
    return str(value)


def _date(params: Any, name: str) -> dt.date | None:
    raw = params.get(name)
    if not raw:
        return None
    try:
        day = parse_date(raw) if isinstance(raw, str) else None
    except ValueError:
        day = None
    if day is None:
        raise ValidationFailed(f"参数 {name} 应为日期（YYYY-MM-DD）。", code="invalid_date",
                               fields={name: ["YYYY-MM-DD"]})
    return day


def _day(params: Any, name: str) -> dt.datetime | None:
    day = _date(params, name)
    return timezone.make_aware(dt.datetime.combine(day, dt.time())) if day else None


def _kpi_query(request: Request) -> kpis.DisputeQuery:
    """The statistics' filters (from the dispute rollups, in the caller's scope)."""
    params = request.query_params
    return kpis.query(request.user, since=_date(params, "since"), until=_date(params, "until"),
                      area=params.get("area") or "", level=_choice(params, "level", Level.values) or "",
                      dispute_type=_choice(params, "type", DisputeType.values) or "",
                      mediator=params.get("mediator") or "")


def filter_disputes(qs: QuerySet[Dispute], params: Any) -> QuerySet[Dispute]:
    if state := _choice(params, "state", State.values):
        qs = qs.filter(state=state)
    if risk := _choice(params, "risk", Risk.values):
        qs = qs.filter(risk=risk)
    if level := _choice(params, "level", Level.values):
        qs = qs.filter(level=level)
    if kind := _choice(params, "type", DisputeType.values):
        qs = qs.filter(dispute_type=kind)
    if area := params.get("area"):
        qs = qs.filter(area_code__startswith=area)
    return qs.order_by("-created_at", "-id")


# API action → (request serializer, service, summary)
ActionSpec = tuple[type[serializers.Serializer], Callable[..., Any], str]
ACTIONS: dict[str, ActionSpec] = {
    "accept": (s.DisputeNoteSerializer, services.accept, "受理"),
    "decline": (s.DisputeReasonSerializer, services.decline, "不予受理"),
    "session": (s.SessionInSerializer, services.record_session, "记录一次调解（首次即开始调解）"),
    "resolve": (s.ResolveSerializer, services.resolve, "调解成功，签订人民调解协议书"),
    "fail": (s.DisputeReasonSerializer, services.fail, "调解未成功"),
    "escalate": (s.DisputeReasonSerializer, services.escalate, "上交上一级调解（村→乡镇→县）"),
    "refer": (s.ReferSerializer, services.refer, "引导诉讼、仲裁、信访或移交专业调解组织"),
    "follow-up": (s.FollowUpInSerializer, services.follow_up, "回访（记录协议履行情况）"),
    "close": (s.DisputeNoteSerializer, services.close, "办结"),
    "assess-risk": (s.RiskSerializer, services.assess_risk, "风险研判（高/重大风险即时预警）"),
}


def _dispute_action(name: str) -> Any:
    request_serializer, _service, summary = ACTIONS[name]

    def view(self: DisputeViewSet, request: Request, pk: str | None = None) -> Response:
        return self.perform_action(request, int(pk or 0), name)

    view.__name__ = name.replace("-", "_")
    view.__doc__ = summary
    return extend_schema(summary=summary, request=request_serializer, parameters=[IF_MATCH],
                         responses={200: s.DisputeDetailSerializer})(
        action(detail=True, methods=["post"], url_path=name, url_name=name,
               parser_classes=[LimitedJSONParser, LimitedFormParser])(view))


LIST_PARAMETERS = [
    OpenApiParameter("state", OpenApiTypes.STR, enum=State.values, description="状态"),
    OpenApiParameter("risk", OpenApiTypes.STR, enum=Risk.values, description="风险等级"),
    OpenApiParameter("level", OpenApiTypes.STR, enum=Level.values, description="当前调解层级"),
    OpenApiParameter("type", OpenApiTypes.STR, enum=DisputeType.values, description="纠纷类型"),
    OpenApiParameter("area", OpenApiTypes.STR, description="区划/网格编码前缀"),
    OpenApiParameter("watch", OpenApiTypes.BOOL, description="true：高、重大风险且未办结（关注名单）"),
    OpenApiParameter("party", OpenApiTypes.STR,
                     description="当事人身份证号或电话（完整号码，精确匹配；存储为加密值与检索哈希）"),
]
PERIOD_PARAMETERS = [
    OpenApiParameter("since", OpenApiTypes.DATE, description="登记时间 ≥"),
    OpenApiParameter("until", OpenApiTypes.DATE, description="登记时间 <"),
    OpenApiParameter("area", OpenApiTypes.STR, description="区划/网格编码前缀"),
    OpenApiParameter("level", OpenApiTypes.STR, enum=Level.values, description="当前调解层级"),
    OpenApiParameter("type", OpenApiTypes.STR, enum=DisputeType.values, description="纠纷类型"),
    OpenApiParameter("mediator", OpenApiTypes.INT, description="主调解员编号（0：尚无调解员）"),
]


class DisputeViewSet(viewsets.GenericViewSet[Dispute]):
    serializer_class = s.DisputeSerializer
    lookup_value_regex = r"\d+"

    def get_queryset(self) -> QuerySet[Dispute]:
        return disputes_visible_to(self.request.user)

    @extend_schema(parameters=LIST_PARAMETERS, responses={200: s.DisputeSerializer(many=True)})
    def list(self, request: Request) -> Response:
        """您范围内的矛盾纠纷，可筛选，分页。"""
        watch = str(request.query_params.get("watch", "")).lower() in TRUE
        qs = watch_list(request.user) if watch else self.get_queryset()
        if person := request.query_params.get("party"):
            qs = qs.filter(pk__in=disputes_of_person(request.user, id_number=person, phone=person)
                           .values("pk"))
        qs = filter_disputes(qs, request.query_params)
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(s.DisputeSerializer(page, many=True).data)

    @extend_schema(responses={200: s.DisputeDetailSerializer})
    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        """纠纷详情：当事人（个人信息已脱敏）、调解记录、协议、回访、流转记录与可执行动作。"""
        return _detail(request, dispute_for(request.user, int(pk or 0)))

    @extend_schema(request=s.DisputeCreateSerializer, responses={201: s.DisputeDetailSerializer})
    def create(self, request: Request) -> Response:
        """登记矛盾纠纷（给出 case 则由矛盾纠纷类事件转入并关联）。"""
        form = s.DisputeCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        d = form.validated_data
        parties = [services.PartyInput(**p) for p in d["parties"]]
        amount: Decimal | None = d.get("amount")
        if d.get("case"):
            dispute = services.register_from_case(
                actor=request.user, case_id=d["case"], parties=parties, risk=d["risk"],
                risk_reasons=d["risk_reasons"], dispute_type=d.get("dispute_type"), amount=amount,
                people_count=d["people_count"])
        else:
            if not d.get("dispute_type"):
                raise ValidationFailed("请选择纠纷类型。", code="required",
                                       fields={"dispute_type": ["必填"]})
            dispute = services.register_dispute(
                actor=request.user, dispute_type=d["dispute_type"], summary=d["summary"],
                parties=parties, risk=d["risk"], risk_reasons=d["risk_reasons"],
                grid_code=d.get("grid") or None, area_code=d.get("area") or None,
                address=d["address"], amount=amount, people_count=d["people_count"],
                level=d.get("level"), screening_id=d.get("screening"))
        return _detail(request, dispute_for(request.user, dispute.pk), status=201)

    def perform_action(self, request: Request, dispute_id: int, name: str) -> Response:
        request_serializer, service, _summary = ACTIONS[name]
        form = request_serializer(data=request.data)
        form.is_valid(raise_exception=True)
        args = {k: v for k, v in form.validated_data.items() if k != "version"}
        version = expected_version(request, form.validated_data.get("version"))
        service(actor=request.user, dispute_id=dispute_id, expected_version=version, **args)
        return _detail(request, dispute_for(request.user, dispute_id))

    @extend_schema(parameters=[OpenApiParameter("by", OpenApiTypes.STR, enum=CUTS,
                                                description="分组：层级、类型、乡镇、村、调解员；不填为合计"),
                               *PERIOD_PARAMETERS],
                   responses={200: s.KpiRowSerializer(many=True)})
    @action(detail=False, methods=["get"], url_path="kpis", url_name="kpis", pagination_class=None)
    def kpis(self, request: Request) -> Response:
        """排查数、受理数、调解成功数、化解率、按期化解率（按登记日期，来自纠纷统计汇总，您的范围内）。"""
        by = _choice(request.query_params, "by", CUTS)
        rows = kpis.dispute_kpis(_kpi_query(request), by=by)
        return Response(s.KpiRowSerializer(rows, many=True).data)

    @extend_schema(parameters=PERIOD_PARAMETERS, responses={200: s.LevelRowSerializer(many=True)})
    @action(detail=False, methods=["get"], url_path="levels", url_name="levels", pagination_class=None)
    def levels(self, request: Request) -> Response:
        """各级调解：本级受理、本级化解（“小事不出村”）、向上交办。"""
        rows = kpis.level_stats(_kpi_query(request))
        return Response(s.LevelRowSerializer(rows, many=True).data)

    accept = _dispute_action("accept")
    decline = _dispute_action("decline")
    session = _dispute_action("session")
    resolve = _dispute_action("resolve")
    fail = _dispute_action("fail")
    escalate = _dispute_action("escalate")
    refer = _dispute_action("refer")
    follow_up = _dispute_action("follow-up")
    close = _dispute_action("close")
    assess_risk = _dispute_action("assess-risk")


class ScreeningReportViewSet(viewsets.GenericViewSet[ScreeningReport]):
    serializer_class = s.ScreeningReportSerializer
    lookup_value_regex = r"\d+"

    def get_queryset(self) -> QuerySet[ScreeningReport]:
        return screening_reports_visible_to(self.request.user)

    @extend_schema(parameters=[OpenApiParameter("period", OpenApiTypes.DATE,
                                                description="排查周期（该周期内任一天）")],
                   responses={200: s.ScreeningReportSerializer(many=True)})
    def list(self, request: Request) -> Response:
        """您范围内网格的排查报告（含零报告）。"""
        qs = self.get_queryset()
        if period := _day(request.query_params, "period"):
            qs = qs.filter(period=services.period_of(period.date()))
        page = self.paginate_queryset(qs.order_by("-period", "grid_code"))
        return self.get_paginated_response(s.ScreeningReportSerializer(page, many=True).data)

    @extend_schema(request=s.ScreeningCreateSerializer,
                   responses={201: s.ScreeningReportSerializer})
    def create(self, request: Request) -> Response:
        """提交本网格本期排查报告；未发现矛盾纠纷时报零报告（zero_report=true）。"""
        form = s.ScreeningCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        d = form.validated_data
        report = services.submit_screening(actor=request.user, grid_code=d["grid"],
                                           zero_report=d["zero_report"], notes=d["notes"],
                                           period=d.get("period"))
        return Response(s.ScreeningReportSerializer(report).data, status=201)

    @extend_schema(parameters=[OpenApiParameter("period", OpenApiTypes.DATE,
                                                description="排查周期（默认本月）")],
                   responses={200: s.MissingGridSerializer(many=True)})
    @action(detail=False, methods=["get"], url_path="missing", url_name="missing")
    def missing(self, request: Request) -> Response:
        """本期尚未提交排查报告的网格（乡镇、县级查看）。"""
        period = _day(request.query_params, "period")
        chosen = services.period_of(period.date()) if period else services.current_period()
        page = self.paginate_queryset(missing_screening(request.user, chosen))
        return self.get_paginated_response(s.MissingGridSerializer(page, many=True).data)
