"""12345 hotline: record a call as a case, and look a case up by code or caller phone."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from civicgrid.accounts.scope import can
from civicgrid.cases.intake import report_case
from civicgrid.cases.models import Channel
from civicgrid.cases.selectors import case_by_code, cases_visible_to
from civicgrid.cases.views.common import decorate, error_page, form_values, mask_phone
from civicgrid.cases.views.report import answer_created, report_context, report_from_post
from civicgrid.core.errors import DomainError, NotFound, PermissionDenied
from civicgrid.core.personal import lookup_hash

LOOKUP_LIMIT = 50


def record_call(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not can(user, "cases.report"):
        return error_page(request, PermissionDenied(_("您无权登记来电。")))
    if request.method != "POST":
        return render(request, "cases/hotline.html", report_context(user, {}))
    key = request.POST.get("idempotency_key", "").strip()
    try:
        case = report_case(actor=user, report=report_from_post(request, channel=Channel.HOTLINE),
                           idempotency_key=key or None)
    except DomainError as exc:
        context = report_context(user, form_values(request))
        return error_page(request, exc, template="cases/hotline.html", context=context)
    return answer_created(request, case)


def lookup(request: HttpRequest) -> HttpResponse:
    """By case code (exact) or caller phone (exact), inside the user's scope only."""
    if not can(request.user, "cases.view"):
        return error_page(request, PermissionDenied(_("您无权查询事件。")))
    code = request.GET.get("code", "").strip()
    # the phone number is posted, so that it stays out of URLs and access logs
    phone = request.POST.get("phone", "").strip() if request.method == "POST" else ""
    context: dict[str, object] = {"code": code}
    if code:
        try:
            return redirect("cases:detail", pk=case_by_code(request.user, code).pk)
        except DomainError as exc:
            context["error"] = NotFound(_("未找到编号为 %(code)s 的事件。") % {"code": code})
            return render(request, "cases/lookup.html", context, status=exc.status)
    if phone:
        rows = decorate(cases_visible_to(request.user).filter(reporter_phone_hash=lookup_hash(phone))
                        .order_by("-created_at")[:LOOKUP_LIMIT])
        for row in rows:
            row.masked_phone = mask_phone(row.reporter_phone_plain)  # type: ignore[attr-defined]
        context["rows"] = rows
        context["masked"] = mask_phone(phone)
    return render(request, "cases/lookup.html", context)
