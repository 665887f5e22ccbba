"""考核 pages: the score table of a scheme for a period (draft), publishing it (frozen), the
published tables, and their Excel exports."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from civicgrid.accounts.scope import can
from civicgrid.cases.views.common import error_page
from civicgrid.core.errors import DomainError, NotFound
from civicgrid.stats import assessment, exports, kpis, services
from civicgrid.stats.selectors import kpi_query, scope_prefixes
from civicgrid.stats.views import fmt


def _decorate(table: dict[str, Any]) -> dict[str, Any]:
    """Display strings for a (draft or frozen) table."""
    units = [i["unit"] for i in table["indicators"]]
    for ind in table["indicators"]:
        ind["target_display"] = fmt(ind["target"], ind["unit"])
        ind["label_display"] = _(ind["label"])
    for row in table["rows"]:
        for cell, unit in zip(row["cells"], units, strict=True):
            cell["display"] = fmt(cell["value"], unit)
            raw = fmt(cell["numerator"], kpis.COUNT) if unit != kpis.HOURS else ""
            if cell["denominator"] is not None and unit == kpis.RATE:
                raw += f"/{fmt(cell['denominator'], kpis.COUNT)}"
            cell["raw"] = raw
    return table


def _params(request: HttpRequest, scheme: Any) -> dict[str, str]:
    source = request.POST if request.method == "POST" else request.GET
    params = {k: v for k, v in source.items() if k in ("period", "date", "start", "end", "area") and v}
    params.setdefault("period", scheme.period)
    return params


def page(request: HttpRequest) -> HttpResponse:
    try:
        scope_prefixes(request.user)  # dashboard.view, else 403
        schemes = list(assessment.schemes())
        if not schemes:
            raise NotFound("尚未设置考核方案。", code="scheme_not_found")
        chosen = request.GET.get("scheme") or request.POST.get("scheme") or str(schemes[0].pk)
        scheme = assessment.scheme_for(int(chosen) if chosen.isdigit() else 0)
        params = _params(request, scheme)
        q = kpi_query(request.user, params)
        if request.method == "POST":
            published = services.publish_assessment(actor=request.user, scheme_id=scheme.pk, query=q)
            return redirect("stats:published", pk=published.pk)
        table = _decorate(assessment.score_table(scheme, q))
        published_list = list(assessment.published_for(request.user, scheme)[:24])
    except DomainError as exc:
        return error_page(request, exc)
    query = urlencode({**params, "scheme": scheme.pk})
    return render(request, "stats/assessment.html", {
        "schemes": schemes, "scheme": scheme, "q": q, "table": table, "published": published_list,
        "can_publish": can(request.user, "assessment.publish"), "query": query, "form": params,
        "scheme_periods": [("month", _("月")), ("quarter", _("季")), ("year", _("年"))],
    })


def published(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        scope_prefixes(request.user)
        found = next((p for s in assessment.schemes() for p in assessment.published_for(request.user, s)
                      .filter(pk=pk)), None)
        if found is None:
            raise NotFound("考核结果不存在。", code="assessment_not_found")
    except DomainError as exc:
        return error_page(request, exc)
    if request.path.endswith(".xlsx"):
        content, _rows = exports.assessment_book(found.table)
        response = HttpResponse(content, content_type=exports.XLSX)
        response["Content-Disposition"] = f'attachment; filename="assessment-{found.pk}.xlsx"'
        return response
    return render(request, "stats/published.html", {"item": found, "table": _decorate(found.table)})
