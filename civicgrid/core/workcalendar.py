"""Working days on the Chinese statutory calendar (holidays and 调休 workdays).

The ``chinese_calendar`` package carries the State Council's notices year by year; rows of
``CalendarDay`` override it (a notice the package does not have yet, or a local decision).
Outside the package's years and without overrides, Monday–Friday are working days.
"""

from __future__ import annotations

import datetime as dt
import threading

import chinese_calendar
from django.utils import timezone

_lock = threading.Lock()
_overrides: dict[dt.date, bool] | None = None


def _load_overrides() -> dict[dt.date, bool]:
    global _overrides
    with _lock:
        if _overrides is None:
            from civicgrid.core.models import CalendarDay

            _overrides = dict(CalendarDay.objects.values_list("date", "is_workday"))
        return _overrides


def forget_overrides() -> None:
    """Call after changing CalendarDay rows (the loader and the admin do)."""
    global _overrides
    with _lock:
        _overrides = None


def is_workday(day: dt.date) -> bool:
    overrides = _load_overrides()
    if day in overrides:
        return overrides[day]
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:  # a year the package has no notice for
        return day.weekday() < 5


def add_workdays(start: dt.datetime, days: int) -> dt.datetime:
    """The same local clock time on the ``days``-th working day after ``start``'s date."""
    if days < 0:
        raise ValueError("days must be >= 0")
    local = timezone.localtime(start)
    day = local.date()
    counted = 0
    while counted < days:
        day += dt.timedelta(days=1)
        if is_workday(day):
            counted += 1
    if days == 0 and not is_workday(day):
        while not is_workday(day):
            day += dt.timedelta(days=1)
    return local.replace(year=day.year, month=day.month, day=day.day)


def working_hours_between(start: dt.datetime, end: dt.datetime) -> float:
    """Hours between two instants that fall on working days (whole days counted 24 h)."""
    if end <= start:
        return 0.0
    total = 0.0
    cursor = timezone.localtime(start)
    end = timezone.localtime(end)
    while cursor < end:
        next_midnight = (cursor + dt.timedelta(days=1)).replace(hour=0, minute=0, second=0,
                                                                microsecond=0)
        segment_end = min(end, next_midnight)
        if is_workday(cursor.date()):
            total += (segment_end - cursor).total_seconds() / 3600
        cursor = segment_end
    return total
