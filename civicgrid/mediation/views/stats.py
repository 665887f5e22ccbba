"""化解统计 from the dispute rollups: 排查数, 受理数, 调解成功数, 化解率, 按期化解率 for a period,
area, level, type and mediator, grouped by a chosen cut, and the levels ("小事不出村, 大事不出镇");
every number opens the disputes behind it (``behind``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from civicgrid.accounts.scope import can
from civicgrid.areas.models import Area, AreaLevel
from civicgrid.cases.views.common import error_page
from civicgrid.core.errors import DomainError, PermissionDenied, ValidationFailed
from civicgrid.mediation import kpis
from civicgrid.mediation.drilldown import TITLES, disputes_behind
from civicgrid.mediation.models import DisputeType, Level
from civicgrid.mediation.views.common import decorate

CUTS = [("level", gettext_noop("按层级")), ("type", gettext_noop("按类型")),
        ("township", gettext_noop("按乡镇（街道）")), ("village", gettext_noop("按村（社区）")),
        ("mediator", gettext_noop("按调解员"))]
FILTERS = ("since", "until", "area", "level", "type", "mediator")
# the filter a grouped row fixes when clicked
ROW_FILTER = {"level": "level", "type": "type", "township": "area", "village": "area",
              "mediator": "mediator"}


def _date(raw: str, name: str) -> dt.date | None:
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise ValidationFailed(_("日期格式应为 YYYY-MM-DD：%(value)s") % {"value": raw},
                               code="invalid_date", fields={name: [raw]}) from None


def query_of(user: Any, params: Mapping[str, str]) -> tuple[kpis.DisputeQuery, dict[str, str]]:
    """The query of the page's parameters, and those parameters as given (for links)."""
    given = {k: (params.get(k) or "").strip() for k in FILTERS}
    given = {k: v for k, v in given.items() if v}
    dq = kpis.query(user, since=_date(given.get("since", ""), "since"),
                    until=_date(given.get("until", ""), "until"), area=given.get("area", ""),
                    level=given.get("level", ""), dispute_type=given.get("type", ""),
                    mediator=given.get("mediator", ""))
    return dq, given


def _areas(dq: kpis.DisputeQuery) -> list[dict[str, str]]:
    """Townships and villages the filter offers inside the reader's scope."""
    areas = Area.objects.filter(level__in=[AreaLevel.COUNTY, AreaLevel.TOWNSHIP, AreaLevel.VILLAGE])
    if "" not in dq.prefixes:
        cond = Q(pk__in=[])
        for p in dq.prefixes:
            cond |= Q(code__startswith=p[:9])
        areas = areas.filter(cond)
    return list(areas.order_by("code").values("code", "name")[:300])


def _link(name: str, given: dict[str, str], **extra: str) -> str:
    return reverse(name) + "?" + urlencode({**given, **extra})


def stats(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not can(user, "mediation.view"):
        return error_page(request, PermissionDenied(_("您没有查看统计的权限。")))
    by = request.GET.get("by") or "level"
    if by not in dict(CUTS):
        by = "level"
    try:
        dq, given = query_of(user, request.GET)
        rows = kpis.dispute_kpis(dq, by=by)
        total = kpis.dispute_kpis(dq)[0]
        levels = kpis.level_stats(dq)
    except DomainError as exc:
        return error_page(request, exc)
    unfiltered = {k: v for k, v in given.items() if k != ROW_FILTER[by]}
    grouped = [{"row": r, "filter": _link("mediation:stats", unfiltered, by=by,
                                          **{ROW_FILTER[by]: r.key}),
                "links": {m: _link("mediation:behind", unfiltered, measure=m, **{ROW_FILTER[by]: r.key})
                          for m in ("screened", "accepted", "resolved")}} for r in rows]
    return render(request, "mediation/stats.html", {
        "cuts": [(k, _(label)) for k, label in CUTS], "by": by, "given": given,
        "types": DisputeType.choices, "levels_choice": Level.choices, "areas": _areas(dq),
        "total": total, "rows": grouped,
        "levels": [{"row": r, "links": {k: _link("mediation:behind", given, measure=f"{k}_{r.level}")
                                        for k in ("accepted", "resolved", "escalated")}}
                   for r in levels],
        "links": {m: _link("mediation:behind", given, measure=m) for m in TITLES},
    })


def behind(request: HttpRequest) -> HttpResponse:
    """The disputes behind a number of the statistics (same filters, same count)."""
    user = request.user
    if not can(user, "mediation.view"):
        return error_page(request, PermissionDenied(_("您没有查看统计的权限。")))
    measure = request.GET.get("measure", "")
    try:
        dq, given = query_of(user, request.GET)
        qs = disputes_behind(user, dq, measure).order_by("-created_at", "-id")
    except DomainError as exc:
        return error_page(request, exc)
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    return render(request, "mediation/behind.html", {
        "title": _(TITLES[measure]), "level_label": _(Level(measure.rsplit("_", 1)[1]).label)
        if measure.rsplit("_", 1)[-1] in Level.values else "",
        "count": page.paginator.count, "page": page, "rows": decorate(page.object_list),
        "query": urlencode({**given, "measure": measure}),
        "back": _link("mediation:stats", given),
    })
