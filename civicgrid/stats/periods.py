"""Periods of the command centre: day/week/month/quarter/year around a date, or a custom
range; the previous period of the same length and the same period last year; how a range
splits into whole months (month rollups) and loose days (day rollups)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from civicgrid.core.errors import ValidationFailed

KINDS = ("day", "week", "month", "quarter", "year", "custom")
MAX_DAYS = 366 * 5


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date  # inclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        """The period of the same kind just before (a calendar month before a month …)."""
        if self.start.day == 1 and (self.end + dt.timedelta(days=1)).day == 1:
            months = (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1
            start = add_months(self.start, -months)
            return Period(start, self.start - dt.timedelta(days=1))
        return Period(self.start - dt.timedelta(days=self.days), self.start - dt.timedelta(days=1))

    def last_year(self) -> Period:
        return Period(_year_before(self.start), _year_before(self.end))


def _year_before(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def period_of(kind: str, anchor: dt.date, start: dt.date | None = None,
              end: dt.date | None = None) -> Period:
    if kind == "day":
        return Period(anchor, anchor)
    if kind == "week":
        monday = anchor - dt.timedelta(days=anchor.weekday())
        return Period(monday, monday + dt.timedelta(days=6))
    if kind == "month":
        first = anchor.replace(day=1)
        return Period(first, add_months(first, 1) - dt.timedelta(days=1))
    if kind == "quarter":
        first = dt.date(anchor.year, (anchor.month - 1) // 3 * 3 + 1, 1)
        return Period(first, add_months(first, 3) - dt.timedelta(days=1))
    if kind == "year":
        return Period(dt.date(anchor.year, 1, 1), dt.date(anchor.year, 12, 31))
    if kind == "custom":
        if start is None or end is None:
            raise ValidationFailed("自定义期间须填写开始和结束日期。", code="period_required",
                                   fields={"start": ["必填"], "end": ["必填"]})
        if end < start:
            raise ValidationFailed("结束日期不能早于开始日期。", code="period_reversed",
                                   fields={"end": [end.isoformat()]})
        if (end - start).days >= MAX_DAYS:
            raise ValidationFailed("统计期间最长五年。", code="period_too_long",
                                   fields={"end": [end.isoformat()]})
        return Period(start, end)
    raise ValidationFailed("统计周期应为日、周、月、季、年或自定义。", code="invalid_period",
                           fields={"period": [kind]})


def split(period: Period) -> tuple[tuple[dt.date, dt.date] | None, list[tuple[dt.date, dt.date]]]:
    """(first month, last month) of the whole months inside, and the loose day ranges."""
    first = period.start if period.start.day == 1 else add_months(period.start, 1)
    after = period.end + dt.timedelta(days=1)
    last_end = after.replace(day=1)  # the 1st of the month after the last whole month
    if first >= last_end:
        return None, [(period.start, period.end)]
    days = []
    if period.start < first:
        days.append((period.start, first - dt.timedelta(days=1)))
    if last_end <= period.end:
        days.append((last_end, period.end))
    return (first, add_months(last_end, -1)), days


def grains(period: Period, *, years: bool = True) -> list[tuple[str, dt.date, dt.date]]:
    """The rollup rows that cover the period: whole years (``y``, if ``years``), whole months
    (``m``) and loose days (``d``), as (grain, first period, last period)."""
    out: list[tuple[str, dt.date, dt.date]] = []
    start, end = period.start, period.end
    if years:
        first = start if (start.month, start.day) == (1, 1) else dt.date(start.year + 1, 1, 1)
        last = end.year if (end.month, end.day) == (12, 31) else end.year - 1
        if first.year <= last:
            out.append(("y", first, dt.date(last, 1, 1)))
            pieces = []
            if start < first:
                pieces.append(Period(start, first - dt.timedelta(days=1)))
            if end > dt.date(last, 12, 31):
                pieces.append(Period(dt.date(last + 1, 1, 1), end))
            for piece in pieces:
                out += grains(piece, years=False)
            return out
    months, days = split(period)
    if months:
        out.append(("m", months[0], months[1]))
    out += [("d", low, high) for low, high in days]
    return out


def grains_sql(period: Period, *, years: bool = True) -> tuple[str, list[str]]:
    """``grains`` as an SQL condition on a rollup table's ``grain`` and ``period`` columns
    (``period`` as ISO text, which both databases compare with their dates), with its
    parameters."""
    spans = grains(period, years=years)
    sql = " OR ".join("(grain = %s AND period >= %s AND period <= %s)" for _ in spans) or "1 = 0"
    return f"({sql})", [v for grain, low, high in spans for v in (grain, low.isoformat(), high.isoformat())]
