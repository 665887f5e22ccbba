"""排查: a grid member reports this month's screening (or 零报告); the township and the
county see which grids have not reported yet."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from civicgrid.accounts.scope import can
from civicgrid.cases.views.common import error_page, form_values
from civicgrid.core.errors import DomainError, PermissionDenied
from civicgrid.mediation import services
from civicgrid.mediation.selectors import missing_screening, screening_reports_visible_to
from civicgrid.mediation.views.common import report_grids


def _period(raw: str | None) -> dt.date:
    """The period of the month ``YYYY-MM`` chosen on the page, else the current one."""
    try:
        return services.period_of(dt.date.fromisoformat(f"{raw}-01")) if raw \
            else services.current_period()
    except ValueError:
        return services.current_period()


def screening(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not can(user, "mediation.view"):
        return error_page(request, PermissionDenied(_("您没有查看排查情况的权限。")))
    period = _period(request.GET.get("period") or request.POST.get("period"))
    context = {"period": period, "posted": {}}
    if request.method == "POST":
        try:
            services.submit_screening(actor=user, grid_code=request.POST.get("grid", ""),
                                      zero_report=request.POST.get("zero_report") == "1",
                                      notes=request.POST.get("notes", ""), period=period)
        except DomainError as exc:
            context["posted"] = form_values(request)
            return error_page(request, exc, template="mediation/screening.html",
                              context=_fill(context, user, period))
        messages.success(request, _("排查报告已提交。"))
        return redirect(f"{request.path}?period={period:%Y-%m}")
    return render(request, "mediation/screening.html", _fill(context, user, period))


def _fill(context: dict, user, period: dt.date) -> dict:  # type: ignore[no-untyped-def, type-arg]
    reports = screening_reports_visible_to(user).filter(period=period)
    mine = {r.grid_code: r for r in reports}
    context.update({
        "my_grids": [(g, mine.get(g.code)) for g in report_grids(user)] if can(
            user, "mediation.report") else [],
        "missing": list(missing_screening(user, period)[:500]),
        "missing_count": missing_screening(user, period).count(),
        "reported_count": reports.count(),
        "zero_count": reports.filter(zero_report=True).count(),
    })
    return context
