"""Cases over the API (/api/v1/cases/): thin — parse, call intake/services/selectors, render.

Every read goes through ``cases_visible_to`` (outside scope = 404, like missing); every write
through ``intake.report_case_once`` or one ``services`` function; domain errors become the
one error format of ``core.api``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import FileResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from civicgrid.cases import intake, report_json, services
from civicgrid.cases import serializers as s
from civicgrid.cases.duplicates import similar_open_candidates
from civicgrid.cases.models import OPEN_STATES, Assignment, Case, CasePhoto, State
from civicgrid.cases.selectors import case_for, cases_visible_to
from civicgrid.core.api import IF_MATCH, expected_version
from civicgrid.core.api_limits import LimitedFormParser, LimitedJSONParser, LimitedMultiPartParser
from civicgrid.core.errors import NotFound, ValidationFailed

ERROR = inline_serializer("Error", {
    "code": serializers.CharField(help_text="稳定的错误码"),
    "message": serializers.CharField(help_text="中文说明"),
    "fields": serializers.DictField(help_text="出错的字段"),
})
ACTION_ERRORS = {
    400: OpenApiResponse(ERROR, description="输入有误（fields 指出字段）"),
    403: OpenApiResponse(ERROR, description="无权执行（action_not_permitted / not_assigned）"),
    404: OpenApiResponse(ERROR, description="事件不存在或不在您的范围内（case_not_found）"),
    409: OpenApiResponse(ERROR, description="当前状态不允许（illegal_transition）或已被他人处理（stale_version）"),
    413: OpenApiResponse(ERROR, description="请求体过大（payload_too_large）"),
}
ORDERING = ("created_at", "due_at", "updated_at", "state", "urgency", "code", "id")
TRUE, FALSE = ("1", "true", "yes"), ("0", "false", "no")


class ImageRenderer(BaseRenderer):
    """Lets a client ask for ``image/*``; the photo view answers with the file itself."""

    media_type = "image/*"
    format = "image"
    charset = None
    render_style = "binary"

    def render(self, data: Any, accepted_media_type: str | None = None,
               renderer_context: dict[str, Any] | None = None) -> bytes:
        return JSONRenderer().render(data)  # only error bodies ever get here


def _moment(raw: str, name: str, *, end: bool) -> dt.datetime:
    value = parse_datetime(raw)
    if value is None:
        day = parse_date(raw)
        if day is None:
            raise ValidationFailed(f"参数 {name} 不是有效的日期或时间。", code="invalid_datetime",
                                   fields={name: ["ISO 8601"]})
        value = dt.datetime.combine(day + dt.timedelta(days=1 if end else 0), dt.time())
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


def _flag(raw: str, name: str) -> bool:
    if raw.lower() in TRUE:
        return True
    if raw.lower() in FALSE:
        return False
    raise ValidationFailed(f"参数 {name} 应为 true 或 false。", code="invalid_flag", fields={name: ["true/false"]})


def filter_cases(qs: QuerySet[Case], params: Any) -> QuerySet[Case]:
    """The list filters on an already scoped queryset (see CaseViewSet.list for the meaning)."""
    states = [v for raw in params.getlist("state") for v in raw.split(",") if v.strip()]
    if states:
        unknown = sorted(set(states) - set(State.values))
        if unknown:
            raise ValidationFailed("状态无效。", code="invalid_state", fields={"state": unknown})
        qs = qs.filter(state__in=states)
    if category := params.get("category"):
        qs = qs.filter(Q(category__code=category) | Q(category__parent__code=category))
    if channel := params.get("channel"):
        qs = qs.filter(channel=channel)
    if area := params.get("area"):
        qs = qs.filter(area_code__startswith=area)
    if grid := params.get("grid"):
        # a case in a grid carries the grid's code (any version of it) as its area code
        qs = qs.filter(area_code=grid, grid__isnull=False)
    if department := params.get("department"):
        if not department.isdigit():
            raise ValidationFailed("部门 id 无效。", code="invalid_department", fields={"department": ["整数"]})
        qs = qs.filter(Exists(Assignment.objects.filter(case=OuterRef("pk"), department_id=int(department))))
    if (overdue := params.get("overdue")) is not None and overdue != "":
        late = Q(state__in=sorted(OPEN_STATES), due_at__lt=timezone.now())
        qs = qs.filter(late) if _flag(overdue, "overdue") else qs.exclude(late)
    if after := params.get("created_after"):
        qs = qs.filter(created_at__gte=_moment(after, "created_after", end=False))
    if before := params.get("created_before"):
        qs = qs.filter(created_at__lt=_moment(before, "created_before", end=False))
    ordering = params.get("ordering") or "-created_at"
    if ordering.lstrip("-") not in ORDERING:
        raise ValidationFailed("排序字段无效。", code="invalid_ordering", fields={"ordering": list(ORDERING)})
    return qs.order_by(ordering, "-id")


def _detail(request: Request, case: Case, status: int = 200) -> Response:
    response = Response(s.CaseDetailSerializer(case, context=s.now_context(request)).data, status=status)
    response["ETag"] = f'"{case.version}"'
    return response


# API action → (request serializer, service, {request field: service argument}, summary)
ActionSpec = tuple[type[serializers.Serializer], Callable[..., Any], dict[str, str], str]
ACTIONS: dict[str, ActionSpec] = {
    "register": (s.RegisterSerializer, services.register, {}, "受理立案（可改分类、紧急程度）"),
    "reject": (s.ReasonSerializer, services.reject, {}, "不予立案"),
    "merge": (s.MergeSerializer, services.merge, {}, "合并到另一事件（重复）"),
    "dispatch": (s.DispatchSerializer, services.dispatch, {}, "派遣：主办部门与协办部门"),
    "sign": (s.NoteSerializer, services.sign, {}, "签收（主办部门）"),
    "return": (s.ReasonSerializer, services.return_case, {}, "退回（派错部门）"),
    "handle": (s.HandleSerializer, services.handle, {"photos": "files"}, "处置反馈（可附照片）"),
    "request-extension": (s.RequestExtensionSerializer, services.request_extension, {}, "申请延期"),
    "decide-extension": (s.DecideExtensionSerializer, services.decide_extension, {}, "审批延期"),
    "supervise": (s.SuperviseSerializer, services.supervise, {}, "督办"),
    "verify": (s.VerifySerializer, services.verify, {}, "核查：通过结案或返工"),
    "escalate": (s.ReasonSerializer, services.escalate, {}, "上报上级中心"),
    "callback": (s.CallbackSerializer, services.callback, {}, "回访评价（不满意可重新办理）"),
}
MULTIPART_ACTIONS = {"handle"}


def _case_action(name: str) -> Any:
    request_serializer, _service, _rename, summary = ACTIONS[name]

    def view(self: CaseViewSet, request: Request, pk: str | None = None) -> Response:
        return self.perform_action(request, int(pk or 0), name)

    # the method name must not shadow APIView's own (``dispatch``) nor a keyword (``return``)
    view.__name__ = {"dispatch": "dispatch_case", "return": "return_case"}.get(name, name.replace("-", "_"))
    view.__doc__ = summary
    parsers = ([LimitedJSONParser, LimitedMultiPartParser, LimitedFormParser]
               if name in MULTIPART_ACTIONS else [LimitedJSONParser, LimitedFormParser])
    body: Any = request_serializer
    if name in MULTIPART_ACTIONS:
        body = {"multipart/form-data": request_serializer, "application/json": request_serializer}
    return extend_schema(
        summary=summary, request=body, parameters=[IF_MATCH],
        responses={200: s.CaseDetailSerializer, **ACTION_ERRORS},
    )(action(detail=True, methods=["post"], url_path=name, url_name=name, parser_classes=parsers)(view))


LIST_PARAMETERS = [
    OpenApiParameter("state", OpenApiTypes.STR, many=True,
                     description="状态（可重复或逗号分隔）：" + "/".join(State.values)),
    OpenApiParameter("category", OpenApiTypes.STR, description="事项分类编码（大类含其小类）"),
    OpenApiParameter("channel", OpenApiTypes.STR, description="来源渠道"),
    OpenApiParameter("area", OpenApiTypes.STR, description="区划/网格编码前缀（在您的范围内）"),
    OpenApiParameter("grid", OpenApiTypes.STR, description="网格编码"),
    OpenApiParameter("department", OpenApiTypes.INT, description="部门 id：派给该部门的事件"),
    OpenApiParameter("overdue", OpenApiTypes.BOOL, description="true：本环节已超期的办理中事件"),
    OpenApiParameter("created_after", OpenApiTypes.STR, description="上报时间 ≥（ISO 日期或时间）"),
    OpenApiParameter("created_before", OpenApiTypes.STR, description="上报时间 <（ISO 日期或时间）"),
    OpenApiParameter("ordering", OpenApiTypes.STR, description="排序：" + ", ".join(ORDERING) + "（前加 - 倒序）"),
]


class CaseViewSet(viewsets.GenericViewSet[Case]):
    serializer_class = s.CaseSerializer  # bodies: the size-limited parsers of the settings
    lookup_value_regex = r"\d+"

    def get_queryset(self) -> QuerySet[Case]:
        return cases_visible_to(self.request.user)

    @extend_schema(parameters=LIST_PARAMETERS, responses={200: s.CaseSerializer(many=True), 400: ERROR})
    def list(self, request: Request) -> Response:
        """您范围内的事件，可筛选、排序、分页。"""
        qs = filter_cases(self.get_queryset(), request.query_params)
        page = self.paginate_queryset(qs)
        data = s.CaseSerializer(page, many=True, context=s.now_context(request)).data
        return self.get_paginated_response(data)

    @extend_schema(responses={200: s.CaseDetailSerializer, 404: ERROR})
    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        """事件详情：流转记录、派遣单、照片、时限与您可执行的动作。"""
        return _detail(request, case_for(request.user, int(pk or 0)))

    @extend_schema(
        request={"application/json": s.CaseCreateSerializer, "multipart/form-data": s.CaseCreateSerializer},
        parameters=[OpenApiParameter(
            "Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER,
            description="重试安全：同一键只生成一个事件（重放返回 200；内容不同返回 409 idempotency_key_reused）")],
        responses={201: s.CaseCreatedSerializer, 200: s.CaseCreatedSerializer, **ACTION_ERRORS},
    )
    def create(self, request: Request) -> Response:
        """上报事件（任一渠道）；即报即办时附 on_the_spot_result。

        201（重放为 200）的响应体是精简的新事件：编号、状态、网格、受理中心、本环节时限与疑似重复；
        流转记录、照片、派遣单与可执行动作见 Location 指向的详情（GET /api/v1/cases/{id}/）。
        """
        d = report_json.fields_of(request.data)  # a plain JSON report: no DRF field machinery
        if d is None:  # anything else (photos, errors …): the serializer decides and explains
            form = s.CaseCreateSerializer(data=request.data)
            form.is_valid(raise_exception=True)
            d = form.validated_data
        report = intake.Report(
            channel=d["channel"], title=d["title"], description=d["description"],
            category=d.get("category") or None, urgency=d.get("urgency") or None,
            lng=d.get("lng"), lat=d.get("lat"), crs=d["crs"], address=d.get("address", ""),
            grid_code=d.get("grid") or None, area_code=d.get("area") or None,
            reporter_name=d.get("reporter_name", ""), reporter_phone=d.get("reporter_phone", ""),
            anonymous=d["anonymous"], source_ref=d.get("source_ref", ""),
            on_the_spot_result=d.get("on_the_spot_result"),
        )
        case, created = intake.report_case_once(
            actor=request.user, report=report, files=d.get("photos", []),
            idempotency_key=request.headers.get("Idempotency-Key"))
        duplicates = similar_open_candidates(user=request.user, case=case, limit=5)
        response = Response(report_json.created_body(case, duplicates), status=201 if created else 200)
        response["ETag"] = f'"{case.version}"'
        response["Location"] = reverse("case-detail", kwargs={"pk": case.pk})
        return response

    @extend_schema(responses={(200, "image/*"): OpenApiTypes.BINARY, 404: ERROR})
    @action(detail=True, methods=["get"], url_path=r"photos/(?P<photo_id>\d+)", url_name="photo",
            renderer_classes=[JSONRenderer, ImageRenderer])
    def photo(self, request: Request, pk: str | None = None, photo_id: str | None = None) -> FileResponse:
        """照片文件：仅能看到该事件的用户可下载（媒体文件不公开）。"""
        case = case_for(request.user, int(pk or 0))
        photo = CasePhoto.objects.filter(case=case, pk=int(photo_id or 0)).first()
        if photo is None:
            raise NotFound("照片不存在。", code="photo_not_found")
        response = FileResponse(photo.file.open("rb"), content_type=photo.content_type)
        response["Cache-Control"] = "private, max-age=3600"
        return response

    def perform_action(self, request: Request, case_id: int, name: str) -> Response:
        request_serializer, service, rename, _summary = ACTIONS[name]
        form = request_serializer(data=request.data)
        form.is_valid(raise_exception=True)
        args = {rename.get(k, k): v for k, v in form.validated_data.items() if k != "version"}
        version = expected_version(request, form.validated_data.get("version"))
        service(actor=request.user, case_id=case_id, expected_version=version, **args)
        return _detail(request, case_for(request.user, case_id))

    register = _case_action("register")
    reject = _case_action("reject")
    merge = _case_action("merge")
    dispatch_case = _case_action("dispatch")
    sign = _case_action("sign")
    return_case = _case_action("return")
    handle = _case_action("handle")
    request_extension = _case_action("request-extension")
    decide_extension = _case_action("decide-extension")
    supervise = _case_action("supervise")
    verify = _case_action("verify")
    escalate = _case_action("escalate")
    callback = _case_action("callback")
