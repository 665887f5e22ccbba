"""化解统计: 排查数, 受理数, 调解成功数, 化解率, 按期化解率 by a chosen cut, and the levels
("小事不出村, 大事不出镇") — exact counts over the disputes the user may see."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from civicgrid.accounts.scope import can
from civicgrid.cases.views.common import error_page
from civicgrid.core.errors import PermissionDenied
from civicgrid.mediation.kpis import dispute_kpis, level_stats

CUTS = [("level", gettext_noop("按层级")), ("type", gettext_noop("按类型")),
        ("township", gettext_noop("按乡镇（街道）")), ("village", gettext_noop("按村（社区）")),
        ("mediator", gettext_noop("按调解员"))]


def _day(raw: str | None) -> dt.datetime | None:
    try:
        day = dt.date.fromisoformat(raw or "")
    except ValueError:
        return None
    return timezone.make_aware(dt.datetime.combine(day, dt.time()))


def stats(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not can(user, "mediation.view"):
        return error_page(request, PermissionDenied(_("您没有查看统计的权限。")))
    by = request.GET.get("by") or "level"
    if by not in dict(CUTS):
        by = "level"
    since, until = _day(request.GET.get("since")), _day(request.GET.get("until"))
    return render(request, "mediation/stats.html", {
        "cuts": [(k, _(label)) for k, label in CUTS], "by": by,
        "since": request.GET.get("since", "") if since else "",
        "until": request.GET.get("until", "") if until else "",
        "total": dispute_kpis(user, since=since, until=until)[0],
        "rows": dispute_kpis(user, by=by, since=since, until=until),
        "levels": level_stats(user, since=since, until=until),
    })
