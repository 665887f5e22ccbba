"""Command-centre pages (thin): the centre itself, the drill-down list behind a number."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.accounts.models import OrgKind, OrgUnit
from civicgrid.areas.models import Area, AreaLevel
from civicgrid.cases.models import Category, Channel
from civicgrid.cases.views.common import decorate, error_page
from civicgrid.core.errors import DomainError, NotFound
from civicgrid.stats import assessment, drilldown, exports, figures, kpis, services
from civicgrid.stats.apis import describe
from civicgrid.stats.selectors import KpiQuery, kpi_query

PAGE_SIZE = 50
REFRESH_SECONDS = 60


def _choices(q: KpiQuery) -> dict[str, Any]:
    """What the filter form offers inside the user's scope."""
    prefixes = [p for p in q.prefixes if p] or [""]
    areas = Area.objects.filter(level__in=[AreaLevel.COUNTY, AreaLevel.TOWNSHIP])
    if prefixes != [""]:
        cond = Q(pk__in=[])
        for p in prefixes:
            cond |= Q(code__startswith=p[:9])
        areas = areas.filter(cond)
    return {
        "areas": list(areas.order_by("code").values("code", "name", "level")[:200]),
        "categories": list(Category.objects.filter(parent__isnull=True, is_active=True)
                           .order_by("sort", "code").values("pk", "name")),
        "channels": [(v, _(label)) for v, label in Channel.choices],
        "department_choices": list(OrgUnit.objects.filter(kind=OrgKind.DEPARTMENT, is_active=True,
                                                          **({"pk__in": q.departments} if q.departments else {}))
                            .order_by("name").values("pk", "name")[:100]),
        "kinds": [("day", _("日")), ("week", _("周")), ("month", _("月")), ("quarter", _("季")),
                  ("year", _("年")), ("custom", _("自定义"))],
    }


def fmt(value: float | None, unit: str) -> str:
    """A KPI as people read it: counts whole, rates in % to one decimal, hours to one decimal."""
    if value is None:
        return "—"
    if unit == kpis.RATE:
        return f"{value * 100:.1f}%"
    if unit == kpis.HOURS:
        return _("%(hours).1f 小时") % {"hours": value}
    return f"{int(value):,}"


def _link(q: KpiQuery, measure: str) -> str:
    return reverse("stats:cases") + "?" + urlencode({**q.params(), "measure": measure})


def centre(request: HttpRequest) -> HttpResponse:
    try:
        q = kpi_query(request.user, request.GET)
        context = {
            "q": q, "period": describe(q), **figures.summary(q),
            "links": {m: _link(q, m) for m in drilldown.MEASURES},
            "townships": figures.township_ranking(q)[:20],
            "departments": figures.department_ranking(q)[:20],
            "newest": decorate(figures.newest(q)), "supervised": decorate(figures.supervised(q)),
            "query": urlencode(q.params()), "form": request.GET,
            "tile_url": settings.MAP_TILE_URL, "tile_attribution": settings.MAP_TILE_ATTRIBUTION,
            "refresh": REFRESH_SECONDS, **_choices(q),
        }
    except DomainError as exc:
        return error_page(request, exc)
    for row in context["kpis"]:
        row["link"] = _link(q, row["drill"]) if row["drill"] else row["drill_url"]
        for name in ("value", "previous", "last_year", "target"):
            key = "display" if name == "value" else f"{name}_display"
            row[key] = fmt(row[name], row["unit"])
    for row in context["townships"] + context["departments"]:
        for code in figures.RANK_KPIS:
            kpi = kpis.get(code)
            if kpi is not None:
                row[f"{code}_display"] = fmt(row.get(code), kpi.unit)
    today = timezone.localdate()
    context["today_link"] = reverse("stats:cases") + "?" + urlencode(
        {**q.params(), "start": today.isoformat(), "end": today.isoformat(), "measure": "received"})
    return render(request, "stats/centre.html", context)


def cases(request: HttpRequest) -> HttpResponse:
    """The cases behind a number: same filters, same definitions, same count."""
    try:
        q = kpi_query(request.user, request.GET)
        measure = request.GET.get("measure", "")
        qs = drilldown.cases_behind(q, measure).order_by("-created_at", "-id")
    except DomainError as exc:
        return error_page(request, exc)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    base = {**q.params(), "measure": measure}
    return render(request, "stats/cases.html", {
        "title": _(drilldown.MEASURES[measure][0]), "period": describe(q), "page": page,
        "rows": decorate(page.object_list), "count": page.paginator.count,
        "query": urlencode(base), "live": measure in drilldown.LIVE,
    })


EXPORT_KINDS = ("kpis", "townships", "departments", "cases", "assessment")


def export(request: HttpRequest, kind: str) -> HttpResponse:
    """.xlsx of the KPI table, a ranking, or the case list behind a number."""
    try:
        if kind not in EXPORT_KINDS:
            raise NotFound("导出类型不存在。", code="export_not_found")
        q = kpi_query(request.user, request.GET)
        if kind == "kpis":
            content, rows = exports.kpi_book(q)
        elif kind == "cases":
            measure = request.GET.get("measure", "")
            qs = drilldown.cases_behind(q, measure).order_by("-created_at", "-id")
            content, rows = exports.cases_book(qs, f"{_(drilldown.MEASURES[measure][0])} "
                                               f"{q.period.start:%Y-%m-%d} — {q.period.end:%Y-%m-%d}")
        elif kind == "assessment":
            raw = request.GET.get("scheme", "")
            scheme = assessment.scheme_for(int(raw) if raw.isdigit() else 0)
            content, rows = exports.assessment_book(assessment.score_table(scheme, q))
        else:
            content, rows = exports.ranking_book(q, kind)
    except DomainError as exc:
        return error_page(request, exc)
    services.record_export(actor=request.user, kind=kind, rows=rows,
                           params=dict(request.GET.items()), ip=request.META.get("REMOTE_ADDR", ""))
    response = HttpResponse(content, content_type=exports.XLSX)
    name = f"{kind}-{q.period.start:%Y%m%d}-{q.period.end:%Y%m%d}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
