"""Reporting a problem: grid members (with 即报即办), household heads, residents, walk-ins.

The page works without JavaScript (a plain multipart POST); with it, offline-report.js keeps
reports made without signal in IndexedDB and sends them later, exactly once, with an
Idempotency-Key. This view answers JSON to such clients (``Accept: application/json``).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from civicgrid.accounts.models import User
from civicgrid.accounts.scope import can, roles_of
from civicgrid.cases.intake import Report, report_case
from civicgrid.cases.models import Case, Category, Channel, Urgency
from civicgrid.cases.selectors import cases_visible_to
from civicgrid.cases.views.common import error_page, form_values, report_areas, report_grids
from civicgrid.core.errors import DomainError, PermissionDenied, ValidationFailed

_CHANNEL_OF_ROLE = (("grid_member", Channel.GRID), ("household_head", Channel.HOUSEHOLD),
                    ("hotline_agent", Channel.HOTLINE), ("resident", Channel.PORTAL))


def channel_for(user: User) -> str:
    roles = roles_of(user)
    for role, channel in _CHANNEL_OF_ROLE:
        if role in roles:
            return channel
    return Channel.WALKIN


def _float(value: str | None, field: str) -> float | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        raise ValidationFailed(_("经纬度格式不正确。"), code="invalid_location",
                               fields={field: ["无效"]}) from None


def report_from_post(request: HttpRequest, *, channel: str) -> Report:
    """The Report a form (or the offline queue) posted, in the API's field names."""
    post = request.POST
    on_spot = None
    if post.get("on_the_spot"):
        on_spot = post.get("on_the_spot_result", "")
    anonymous = bool(post.get("anonymous")) and channel == Channel.PORTAL
    return Report(
        channel=channel, title=post.get("title", ""), description=post.get("description", ""),
        category=post.get("category") or None, urgency=post.get("urgency") or None,
        lng=_float(post.get("lng"), "lng"), lat=_float(post.get("lat"), "lat"),
        crs=post.get("crs") or "wgs84", address=post.get("address", ""),
        grid_code=post.get("grid") or None, area_code=post.get("area") or None,
        reporter_name=post.get("reporter_name", ""), reporter_phone=post.get("reporter_phone", ""),
        anonymous=anonymous, on_the_spot_result=on_spot,
    )


def api_url() -> str:
    """Where the offline queue sends: the cases API when it is installed, else this page."""
    try:
        return reverse("case-list")
    except NoReverseMatch:
        return reverse("cases:report")


def report_context(user: User, values: dict[str, Any]) -> dict[str, Any]:
    return {
        "categories": Category.objects.filter(is_active=True, is_public=True, parent__isnull=False)
        .select_related("parent"),
        "urgencies": Urgency.choices,
        "grids": report_grids(user),
        "areas": report_areas(user),
        "can_on_spot": can(user, "cases.resolve_on_spot"),
        "can_anonymous": channel_for(user) == Channel.PORTAL,
        "values": values,
        "idempotency_key": values.get("idempotency_key") or str(uuid.uuid4()),
        "channel": channel_for(user),
        "api_url": api_url(),
        "js_messages": {
            "queued": _("已保存在本机，有信号时自动发送。"),
            "offline": _("网络不可用，恢复后自动发送。"),
            "sending": _("正在发送……"),
            "sent": _("已发送，事件编号"),
            "view": _("查看"),
            "login": _("登录已失效，请重新登录后自动发送。"),
            "rejected": _("未被受理："),
            "remove": _("删除"),
            "locating": _("正在定位……"),
            "located": _("已定位"),
            "no_gps": _("无法获取定位，请选择网格或填写地址。"),
        },
    }


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def report(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not can(user, "cases.report"):
        return error_page(request, PermissionDenied(_("您无权上报事件。")))
    if request.method != "POST":
        return render(request, "cases/report.html", report_context(user, {}))
    key = (request.headers.get("Idempotency-Key") or request.POST.get("idempotency_key", "")).strip()
    try:
        case = report_case(actor=user, report=report_from_post(request, channel=channel_for(user)),
                           files=request.FILES.getlist("photos"), idempotency_key=key or None)
    except DomainError as exc:
        if _wants_json(request):
            return JsonResponse({"code": exc.code, "message": exc.message, "fields": exc.fields},
                                status=exc.status)
        context = report_context(user, form_values(request))
        context["error"] = exc
        return render(request, "cases/report.html", context, status=exc.status)
    return answer_created(request, case)


def answer_created(request: HttpRequest, case: Case) -> HttpResponse:
    visible = cases_visible_to(request.user).filter(pk=case.pk).exists()
    url = reverse("cases:detail", args=[case.pk]) if visible else ""
    if _wants_json(request):
        return JsonResponse({"id": case.pk, "code": case.code, "state": case.state, "url": url},
                            status=201)
    messages.success(request, _("已上报，事件编号 %(code)s。") % {"code": case.code})
    if visible:
        return redirect(url)
    return render(request, "cases/report_done.html", {"case": case})
