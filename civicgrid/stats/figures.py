"""What the command centre shows, assembled from the scoped reads: the KPI table with
comparisons, the live figures, rankings, breakdowns, the trend and the grid map values."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.accounts.models import OrgUnit
from civicgrid.areas.models import Area, Grid
from civicgrid.cases.models import OPEN_STATES, Case, Category, Channel
from civicgrid.core.errors import ValidationFailed
from civicgrid.stats import drilldown, kpis
from civicgrid.stats.periods import Period
from civicgrid.stats.selectors import KpiQuery, grouped, measures, measures_of, open_by_deadline


def _value(kpi: kpis.Kpi, sums: dict[str, int], q: KpiQuery) -> tuple[float, float | None, float | None]:
    if kpi.source is not None:
        num, den = kpi.source(q)
    else:
        num = float(sums[kpi.numerator or ""])
        den = float(sums[kpi.denominator]) if kpi.denominator else None
    return num, den, kpi.value(num, den)


def _today(now: dt.datetime) -> Period:
    today = timezone.localtime(now).date()
    return Period(today, today)


def summary(q: KpiQuery, *, now: dt.datetime | None = None) -> dict[str, Any]:
    """The KPI table and the live figures together (the command centre's summary request):
    the rollups of this period, the previous one, last year's and today in one statement."""
    now = now or timezone.now()
    periods = _periods(q)
    sums = measures_of([*periods.values(), q.shifted(_today(now))])
    return {"kpis": _table(q, periods, dict(zip(periods, sums, strict=False))),
            "live": _live(q, now, received_today=sums[-1]["received"])}


def _periods(q: KpiQuery) -> dict[str, KpiQuery]:
    return {"current": q, "previous": q.shifted(q.period.previous()),
            "last_year": q.shifted(q.period.last_year())}


def kpi_table(q: KpiQuery) -> list[dict[str, Any]]:
    """Each enabled KPI for the period, the previous period and the same period last year."""
    periods = _periods(q)
    return _table(q, periods, dict(zip(periods, measures_of(list(periods.values())), strict=True)))


def _table(q: KpiQuery, periods: dict[str, KpiQuery], sums: dict[str, dict[str, int]]) -> list[dict[str, Any]]:
    kpis.prepare(list(periods.values()))
    rows = []
    for kpi in kpis.enabled_kpis():
        num, den, value = _value(kpi, sums["current"], q)
        row: dict[str, Any] = {
            "code": kpi.code, "label": _(kpi.label), "unit": kpi.unit, "value": value,
            "numerator": num, "denominator": den, "target": kpi.target,
            "higher_is_better": kpi.higher_is_better, "drill": kpi.drill if kpi.source is None else None,
            "drill_url": kpi.drill_url(q) if kpi.drill_url else None,
        }
        for name in ("previous", "last_year"):  # a figure of now has no earlier period
            row[name] = None if kpi.now else _value(kpi, sums[name], periods[name])[2]
        row["meets_target"] = _meets(kpi, value)
        rows.append(row)
    return rows


def _meets(kpi: kpis.Kpi, value: float | None) -> bool | None:
    if value is None or kpi.target is None:
        return None
    return value >= kpi.target if kpi.higher_is_better else value <= kpi.target


def live(q: KpiQuery, *, now: dt.datetime | None = None) -> dict[str, int]:
    """Today's intake, open, overdue and due-soon cases (the period filter does not apply)."""
    now = now or timezone.now()
    return _live(q, now, received_today=measures(q.shifted(_today(now)))["received"])


def _live(q: KpiQuery, now: dt.datetime, *, received_today: int) -> dict[str, int]:
    today = _today(now).start
    total, late_before_today = open_by_deadline(q, today)
    start = timezone.make_aware(dt.datetime.combine(today, dt.time()), timezone.get_current_timezone())
    # the open cases due from midnight on: late since this morning, or due soon (one read)
    due_from_today = drilldown.cases_behind(q, "open", now=now).filter(
        due_at__gte=start, due_at__lt=max(now, drilldown.due_soon_until(now)))
    counts = due_from_today.aggregate(
        overdue_today=Count("pk", filter=Q(due_at__gte=start, due_at__lt=now)),
        due_soon=Count("pk", filter=drilldown.MEASURES["due_soon"][1](q.period, now)))
    return {
        "received_today": received_today,
        "open": total,
        "overdue": late_before_today + counts["overdue_today"],
        "due_soon": counts["due_soon"],
    }


RANK_KPIS = ("received", "closure_rate", "on_time_rate", "satisfaction_rate", "handle_hours")


def _rank_rows(rows: list[dict[str, Any]], names: dict[Any, str]) -> list[dict[str, Any]]:
    out = []
    for row in rows:
        item = {"key": row["key"], "name": names.get(row["key"], str(row["key"] or _("未派遣")))}
        for code in RANK_KPIS:
            kpi = kpis.get(code)
            if kpi is None or kpi.source is not None:
                continue
            item[code] = _value(kpi, row, None)[2]  # type: ignore[arg-type]
        item["received"] = row["received"]
        item["closed"] = row["closed"]
        item["registered"] = row["registered"]
        out.append(item)
    out.sort(key=lambda r: (-(r.get("closure_rate") or 0), -r["received"], str(r["key"])))
    return out


def township_ranking(q: KpiQuery) -> list[dict[str, Any]]:
    rows = grouped(q, group_area=9)
    names = dict(Area.objects.filter(code__in=[r["key"] for r in rows]).values_list("code", "name"))
    return _rank_rows(rows, names)


def department_ranking(q: KpiQuery) -> list[dict[str, Any]]:
    rows = [r for r in grouped(q, group_dim="department_id") if r["key"]]
    names = dict(OrgUnit.objects.filter(pk__in=[r["key"] for r in rows]).values_list("pk", "name"))
    return _rank_rows(rows, names)


def by_channel(q: KpiQuery) -> list[dict[str, Any]]:
    labels = dict(Channel.choices)
    return sorted(({"key": r["key"], "name": _(labels.get(r["key"], r["key"])), "received": r["received"]}
                   for r in grouped(q, group_dim="channel") if r["received"]), key=lambda r: -r["received"])


def by_category(q: KpiQuery) -> list[dict[str, Any]]:
    rows = [r for r in grouped(q, group_dim="category_id") if r["received"]]
    names = {c.pk: str(c) for c in Category.objects.filter(pk__in=[r["key"] for r in rows])
             .select_related("parent")}
    return sorted(({"key": r["key"], "name": names.get(r["key"], _("未分类")), "received": r["received"],
                    "closed": r["closed"]} for r in rows), key=lambda r: -r["received"])


def by_grid(q: KpiQuery) -> list[dict[str, Any]]:
    rows = grouped(q, group_area=15)
    return [{"key": r["key"], "received": r["received"], "closed": r["closed"]} for r in rows
            if r["received"] or r["closed"]]


def trend(q: KpiQuery) -> list[dict[str, Any]]:
    """Per day for periods up to 62 days, else per month (loose days join their month)."""
    daily = q.period.days <= 62
    buckets: dict[dt.date, dict[str, int]] = {}
    day = q.period.start
    while day <= q.period.end:  # every day / month of the period, empty ones too
        buckets[day if daily else day.replace(day=1)] = {"received": 0, "closed": 0, "registered": 0}
        day += dt.timedelta(days=1)
    for row in grouped(q, by_period=True, days=daily):
        key = row["period"] if daily else row["period"].replace(day=1)
        bucket = buckets.setdefault(key, {"received": 0, "closed": 0, "registered": 0})
        for m in bucket:
            bucket[m] += row[m]
    return [{"period": k.isoformat(), **v} for k, v in sorted(buckets.items())]


def newest(q: KpiQuery, limit: int = 10) -> list[Case]:
    visible = drilldown.cases_behind(q, "received")
    return list(visible.order_by("-created_at", "-id")[:limit])


def supervised(q: KpiQuery, limit: int = 10) -> list[Case]:
    visible = drilldown.cases_behind(q, "open")
    return list(visible.filter(state__in=sorted(OPEN_STATES), supervise_level__gt=0)
                .order_by("-supervise_level", "due_at")[:limit])


BREAKDOWNS = {"township": township_ranking, "department": department_ranking,
              "channel": by_channel, "category": by_category, "grid": by_grid, "trend": trend}


def breakdown(q: KpiQuery, by: str) -> list[dict[str, Any]]:
    if by not in BREAKDOWNS:
        raise ValidationFailed("分组方式应为 township/department/channel/category/grid/trend。",
                               code="invalid_breakdown", fields={"by": [by]})
    return BREAKDOWNS[by](q)


def grid_names(codes: list[str]) -> dict[str, str]:
    return dict(Grid.objects.current().filter(code__in=codes).values_list("code", "name"))
