"""Residents and household heads follow what they reported (by list or by case code)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from civicgrid.cases.selectors import case_by_code, cases_visible_to
from civicgrid.cases.views.common import decorate
from civicgrid.core.errors import DomainError, NotFound


def follow(request: HttpRequest) -> HttpResponse:
    code = request.GET.get("code", "").strip()
    mine = cases_visible_to(request.user).filter(reporter=request.user).order_by("-created_at")
    context: dict[str, object] = {"rows": decorate(mine[:50]), "code": code}
    if code:
        try:
            return redirect("cases:detail", pk=case_by_code(request.user, code).pk)
        except DomainError:
            context["error"] = NotFound(_("未找到编号为 %(code)s 的事件。") % {"code": code})
            return render(request, "cases/follow.html", context, status=404)
    return render(request, "cases/follow.html", context)
