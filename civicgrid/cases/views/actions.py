"""The POST of every case action form: parse, call the one service, show the result.

A refused action re-renders the case page with the Chinese message and the HTTP status of the
domain error (409 when someone else was faster, 403, 404, 400) and the typed text kept.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from civicgrid.accounts.models import User
from civicgrid.cases import services
from civicgrid.cases.selectors import case_by_code, case_for
from civicgrid.cases.views.common import PAGE_ACTIONS, error_page, form_values
from civicgrid.cases.views.detail import detail_context
from civicgrid.core.errors import Conflict, DomainError, NotFound, ValidationFailed


def _int(value: str | None, field: str, label: str) -> int:
    try:
        return int((value or "").strip())
    except ValueError:
        raise ValidationFailed(_("请选择%(label)s。") % {"label": label}, code="required",
                               fields={field: ["必填"]}) from None


def _until(value: str) -> dt.datetime:
    """A date from the form → the end of that day, local time."""
    try:
        day = dt.date.fromisoformat((value or "").strip())
    except ValueError:
        raise ValidationFailed(_("请填写延期后的日期。"), code="required",
                               fields={"until": ["必填"]}) from None
    return timezone.make_aware(dt.datetime.combine(day, dt.time(18, 0)))


def _perform(action: str, user: User, pk: int, request: HttpRequest, version: int | None) -> Any:
    p = request.POST
    common: dict[str, Any] = {"actor": user, "case_id": pk, "expected_version": version}
    calls: dict[str, Callable[[], Any]] = {
        "register": lambda: services.register(**common, category=p.get("category") or None,
                                              urgency=p.get("urgency") or None, note=p.get("note", "")),
        "reject": lambda: services.reject(**common, reason=p.get("reason", "")),
        "merge": lambda: services.merge(**common, into=case_by_code(user, p.get("into", "")).pk,
                                        note=p.get("note", "")),
        "dispatch": lambda: services.dispatch(
            **common, lead=_int(p.get("lead"), "lead", _("主办部门")) if p.get("lead") else None,
            co=[int(v) for v in p.getlist("co") if v.isdigit()], note=p.get("note", "")),
        "escalate": lambda: services.escalate(**common, reason=p.get("reason", "")),
        "sign": lambda: services.sign(**common, note=p.get("note", "")),
        "return": lambda: services.return_case(**common, reason=p.get("reason", "")),
        "handle": lambda: services.handle(**common, result=p.get("result", ""),
                                          files=request.FILES.getlist("photos")),
        "request_extension": lambda: services.request_extension(
            **common, reason=p.get("reason", ""), until=_until(p.get("until", ""))),
        "decide_extension": lambda: services.decide_extension(
            **common, extension=_int(p.get("extension"), "extension", _("延期申请")),
            grant=p.get("grant") == "1", note=p.get("note", "")),
        "supervise": lambda: services.supervise(**common, level=_int(p.get("level"), "level", _("督办级别")),
                                                note=p.get("note", "")),
        "verify": lambda: services.verify(**common, passed=p.get("passed") == "1",
                                          note=p.get("note", "")),
        "callback": lambda: services.callback(
            **common, satisfaction=_int(p.get("satisfaction"), "satisfaction", _("满意度")),
            comment=p.get("comment", "")),
    }
    return calls[action]()


@require_POST
def case_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    user = request.user
    if action not in PAGE_ACTIONS:
        return error_page(request, NotFound(_("没有这个操作。")))
    version_text = request.POST.get("version", "")
    version = int(version_text) if version_text.isdigit() else None
    try:
        _perform(action, user, pk, request, version)
    except DomainError as exc:
        try:
            case = case_for(user, pk)
        except NotFound as missing:
            return error_page(request, missing)
        if isinstance(exc, Conflict):
            exc.message = _("该事件已被他人处理或状态已变化：%(message)s") % {"message": exc.message}
        context = detail_context(user, case, posted=form_values(request), failed_action=action)
        return error_page(request, exc, template="cases/detail.html", context=context)
    messages.success(request, _("操作成功。"))
    return redirect("cases:detail", pk=pk)
