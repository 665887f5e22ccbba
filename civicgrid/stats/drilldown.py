"""The list of cases behind every number: a filter on ``cases.Case`` per measure.

``cases_behind(q, measure)`` is ``cases_visible_to(user)`` narrowed to the query's areas,
dimensions and period with the same definitions as ``facts.py``; its count equals the number
the rollups give for the same query (tests/stats/test_drilldown.py checks it over random
filters on SQLite and PostgreSQL).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_noop

from civicgrid.cases.models import OPEN_STATES, Assignment, Case, State
from civicgrid.cases.selectors import cases_visible_to
from civicgrid.cases.workflow import ACTIVE_ASSIGNMENT
from civicgrid.core.errors import ValidationFailed
from civicgrid.stats import kpis
from civicgrid.stats.periods import Period
from civicgrid.stats.selectors import KpiQuery


def _bounds(period: Period) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    start = timezone.make_aware(dt.datetime.combine(period.start, dt.time()), tz)
    end = timezone.make_aware(dt.datetime.combine(period.end + dt.timedelta(days=1), dt.time()), tz)
    return start, end


def _on(column: str, period: Period) -> Q:
    start, end = _bounds(period)
    return Q(**{f"{column}__gte": start, f"{column}__lt": end})


def _closed(p: Period) -> Q:
    return Q(state=State.CLOSED) & _on("closed_at", p)


def _open() -> Q:
    return Q(state__in=sorted(OPEN_STATES))


def due_soon_until(now: dt.datetime) -> dt.datetime:
    return now + dt.timedelta(hours=kpis.param("due_soon_hours"))


# measure → (label, filter over the period); live measures ignore the period
MEASURES: dict[str, tuple[str, Callable[[Period, dt.datetime], Q]]] = {
    "received": (gettext_noop("受理"), lambda p, now: _on("created_at", p)),
    "registered": (gettext_noop("立案"), lambda p, now: _on("registered_at", p)),
    "handled": (gettext_noop("处置"), lambda p, now: _on("handled_at", p)),
    "reworked": (gettext_noop("返工"), lambda p, now: _on("handled_at", p) & Q(rework_count__gt=0)),
    "closed": (gettext_noop("结案"), lambda p, now: _closed(p)),
    "closed_on_time": (gettext_noop("按期结案"), lambda p, now: _closed(p) & Q(closed_on_time=True)),
    "closed_late": (gettext_noop("超期结案"), lambda p, now: _closed(p) & ~Q(closed_on_time=True)),
    "rated": (gettext_noop("已回访评价"), lambda p, now: _closed(p) & Q(satisfaction__isnull=False)),
    "satisfied": (gettext_noop("满意"), lambda p, now: _closed(p) & Q(
        satisfaction__gte=kpis.param("satisfied_at_least"))),
    "open": (gettext_noop("在办"), lambda p, now: _open()),
    "overdue": (gettext_noop("超期未结"), lambda p, now: _open() & Q(due_at__lt=now)),
    "due_soon": (gettext_noop("将到期"), lambda p, now: _open() & Q(due_at__gte=now,
                                                                    due_at__lt=due_soon_until(now))),
}
LIVE = ("open", "overdue", "due_soon")


def dimension_q(q: KpiQuery) -> Q:
    # "" (everywhere) needs no area condition; Q(pk__in=[]) | Q() would keep matching nothing
    cond = Q() if "" in q.prefixes else Q(pk__in=[])
    for prefix in q.prefixes if "" not in q.prefixes else ():
        cond |= Q(area_code__startswith=prefix)
    if q.category_ids:
        cond &= Q(category_id__in=q.category_ids)
    if q.channel:
        cond &= Q(channel=q.channel)
    if q.department is not None:
        lead = Assignment.objects.filter(case=OuterRef("pk"), role="lead", state__in=ACTIVE_ASSIGNMENT)
        if q.department:
            cond &= Exists(lead.filter(department_id=q.department))
        else:
            cond &= ~Exists(lead)
    return cond


def cases_behind(q: KpiQuery, measure: str, *, now: dt.datetime | None = None) -> QuerySet[Case]:
    if measure not in MEASURES:
        raise ValidationFailed("未知的统计口径。", code="invalid_measure", fields={"measure": [measure]})
    now = now or timezone.now()
    return cases_visible_to(q.user).filter(dimension_q(q), MEASURES[measure][1](q.period, now))
