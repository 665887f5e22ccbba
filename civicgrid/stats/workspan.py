"""The statutory calendar as arrays over a span of local days: working time and working-day
deadlines of many instants at once (the facts of a whole batch of cases, ``facts.py``).

Instants are int64 microseconds since the Unix epoch (UTC); ``NONE`` (−1) stands for "no
value". For each local day of the span the arrays hold its first instant (``midnight``, as
``make_aware(combine(day, 00:00))`` gives it), whether it is a working day
(``core.workcalendar.is_workday``: the package, the overrides, Monday–Friday), the working
microseconds of all earlier days of the span, and the working days up to and including it.

- local day of ``t``: the last midnight ≤ ``t``;
- working time between ``s`` and ``e``: F(e) − F(s) with F(t) = worked[d] + (t − midnight[d])
  on a working day d, worked[d] otherwise — the sum ``working_hours_between`` adds up day by
  day, in whole microseconds;
- ``add_workdays(t, n)``: the same local clock time on the n-th working day after t's day
  (n = 0: t itself on a working day, else the next working day), as
  ``core.workcalendar.add_workdays``; where a day involved is not 24 hours long (a
  daylight-saving change, never in China) that function itself answers for the instant.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
from django.utils import timezone

from civicgrid.core.workcalendar import add_workdays, is_workday

NONE = -1
US = 1_000_000
DAY_US = 86_400 * US
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def to_us(value: dt.datetime | None) -> int:
    """An aware datetime as microseconds since the epoch (exact integer arithmetic)."""
    if value is None:
        return NONE
    return (value - EPOCH) // dt.timedelta(microseconds=1)


def from_us(value: int) -> dt.datetime:
    return EPOCH + dt.timedelta(microseconds=value)


class WorkSpan:
    """The calendar arrays from ``first`` to ``last`` (local days, inclusive)."""

    def __init__(self, first: dt.date, last: dt.date) -> None:
        tz = timezone.get_current_timezone()
        self.first, self.last = first, last
        days = [first + dt.timedelta(days=i) for i in range((last - first).days + 2)]  # + the day after
        self.dates: list[dt.date | None] = [*days[:-1], None]  # index −1 (NONE) → None
        self.midnight = np.array([to_us(timezone.make_aware(dt.datetime.combine(d, dt.time()), tz))
                                  for d in days], dtype=np.int64)
        length = np.diff(self.midnight)
        self.workday = np.array([is_workday(d) for d in days[:-1]], dtype=bool)
        self.steady = length == DAY_US  # 24 hours: clock times move with the day
        self.worked = np.concatenate(([0], np.cumsum(np.where(self.workday, length, 0))))
        self.workdays = np.cumsum(self.workday)

    def covers(self, times: np.ndarray) -> bool:
        given = times[times != NONE]
        return given.size == 0 or (bool(given.min() >= self.midnight[0])
                                   and bool(given.max() < self.midnight[-1]))

    def day(self, times: np.ndarray) -> np.ndarray:
        """Index of each instant's local day in the span (NONE stays NONE)."""
        index = np.searchsorted(self.midnight, times, side="right") - 1
        return np.where(times == NONE, NONE, index)

    def worked_until(self, times: np.ndarray) -> np.ndarray:
        d = self.day(times)
        return self.worked[d] + np.where(self.workday[d], times - self.midnight[d], 0)

    def working_us(self, start: np.ndarray, end: np.ndarray) -> np.ndarray:
        """Working microseconds between the instants (0 when ``end`` ≤ ``start``)."""
        return np.maximum(self.worked_until(end) - self.worked_until(start), 0)

    def add_workdays(self, times: np.ndarray, days: np.ndarray) -> np.ndarray:
        """``core.workcalendar.add_workdays`` of each instant (NONE where the day after the
        span would be needed: the caller makes a longer span)."""
        d = self.day(times)
        step = np.where(days > 0, days, np.where(self.workday[d], 0, 1))
        target = np.searchsorted(self.workdays, self.workdays[d] + step, side="left")
        inside = target < len(self.workdays)
        target = np.minimum(target, len(self.workdays) - 1)
        due = np.where(step == 0, times, self.midnight[target] + (times - self.midnight[d]))
        due = np.where(inside, due, NONE)
        odd = np.flatnonzero(inside & (step != 0) & ~(self.steady[d] & self.steady[target]))
        for i in odd.tolist():  # a day that is not 24 hours long: ask the calendar itself
            due[i] = to_us(add_workdays(from_us(int(times[i])), int(days[i])))
        return due


def span_for(*columns: np.ndarray, ahead_days: int = 0) -> WorkSpan:
    """A span covering every instant given, and ``ahead_days`` more after the last."""
    given = [c[c != NONE] for c in columns]
    given = [g for g in given if g.size]
    tz = timezone.get_current_timezone()
    if not given:
        today = timezone.localdate()
        return WorkSpan(today, today + dt.timedelta(days=ahead_days))
    low = min(int(g.min()) for g in given)
    high = max(int(g.max()) for g in given)
    first = timezone.localtime(from_us(low), tz).date() - dt.timedelta(days=1)
    last = timezone.localtime(from_us(high), tz).date() + dt.timedelta(days=1 + ahead_days)
    return WorkSpan(first, last)
