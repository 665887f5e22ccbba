"""The dispute KPIs in the command centre's registry (``civicgrid.stats.kpis``).

Each answers (numerator, denominator) for the command centre's query — its user, period
and area — from ``mediation.kpis`` (exact counts over the disputes the user may see; the
case filters category/channel/department do not apply to disputes). Registered by
``MediationConfig.ready``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_noop

from civicgrid.mediation.kpis import KpiRow, dispute_kpis

Source = Callable[[Any], tuple[float, float | None]]


def _row(q: Any) -> KpiRow:
    start = timezone.make_aware(dt.datetime.combine(q.period.start, dt.time()))
    end = timezone.make_aware(dt.datetime.combine(q.period.end + dt.timedelta(days=1), dt.time()))
    return dispute_kpis(q.user, since=start, until=end, area=q.area or None)[0]


def _ratio(numerator: str, denominator: str) -> Source:
    def source(q: Any) -> tuple[float, float | None]:
        row = _row(q)
        return float(getattr(row, numerator)), float(getattr(row, denominator))
    return source


def _count(name: str) -> Source:
    def source(q: Any) -> tuple[float, float | None]:
        return float(getattr(_row(q), name)), None
    return source


def _watched(q: Any) -> tuple[float, float | None]:
    """High and 重大 risk disputes not yet closed, now (the watch list), in the query's area."""
    from civicgrid.mediation.selectors import watch_list

    qs = watch_list(q.user)
    return float((qs.filter(area_code__startswith=q.area) if q.area else qs).count()), None


def _watch_list(q: Any) -> str:
    return reverse("mediation:list") + "?tab=watch"


def _drill(q: Any) -> str:
    return (reverse("mediation:stats") + f"?by=township&since={q.period.start.isoformat()}"
            f"&until={(q.period.end + dt.timedelta(days=1)).isoformat()}")


def register_kpis() -> None:
    from civicgrid.stats.kpis import COUNT, RATE, Kpi, register

    # counts and rates open the dispute pages (drill_url), not a list of cases
    register(Kpi("dispute_high_risk_open", gettext_noop("高风险纠纷（未结）"), COUNT,
                 higher_is_better=False, group="disputes", source=_watched, drill_url=_watch_list))
    for code, label, unit, source, target in (
        ("dispute_screened", gettext_noop("排查数"), COUNT, _count("screened"), None),
        ("dispute_accepted", gettext_noop("受理数（纠纷）"), COUNT, _count("accepted"), None),
        ("dispute_resolved", gettext_noop("调解成功数"), COUNT, _count("resolved"), None),
        ("dispute_resolution_rate", gettext_noop("化解率"), RATE, _ratio("resolved", "accepted"),
         0.95),
        ("dispute_on_time_rate", gettext_noop("按期化解率"), RATE,
         _ratio("resolved_on_time", "resolved"), 0.9),
    ):
        register(Kpi(code, label, unit, target=target, group="disputes", source=source,
                     drill_url=_drill))
