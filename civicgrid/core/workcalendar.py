"""Working days on the Chinese statutory calendar (holidays and 调休 workdays).

The ``chinese_calendar`` package carries the State Council's notices year by year; rows of
``CalendarDay`` override it (a notice the package does not have yet, or a local decision).
Outside the package's years and without overrides, Monday–Friday are working days.

The overrides are cached per process. ``forget_overrides()`` clears the cache at once (the
``load-holidays`` command and the admin call it); other processes (web workers, the tick
loop) reload it after ``OVERRIDES_TTL_SECONDS`` at the latest.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import json
import threading
import time
from dataclasses import dataclass
from typing import Any

import chinese_calendar
from django.db import transaction
from django.utils import timezone

OVERRIDES_TTL_SECONDS = 300.0

_lock = threading.Lock()
_overrides: dict[dt.date, bool] | None = None
_loaded_at = 0.0


def _load_overrides() -> dict[dt.date, bool]:
    global _overrides, _loaded_at
    with _lock:
        if _overrides is None or time.monotonic() - _loaded_at > OVERRIDES_TTL_SECONDS:
            from civicgrid.core.models import CalendarDay

            _overrides = dict(CalendarDay.objects.values_list("date", "is_workday"))
            _loaded_at = time.monotonic()
        return _overrides


def forget_overrides() -> None:
    """Call after changing CalendarDay rows (the loader and the admin do)."""
    global _overrides
    with _lock:
        _overrides = None


@functools.lru_cache(maxsize=16384)  # the package's data only: the same answer for a day, always
def statutory_is_workday(day: dt.date) -> bool | None:
    """What the package says, or ``None`` for a year it has no notice for."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return None


def is_workday(day: dt.date) -> bool:
    overrides = _load_overrides()
    if day in overrides:
        return overrides[day]
    known = statutory_is_workday(day)
    if known is None:  # a year the package has no notice for: Monday–Friday
        return day.weekday() < 5
    return known


def add_workdays(start: dt.datetime, days: int) -> dt.datetime:
    """The same local clock time on the ``days``-th working day after ``start``'s local date.

    ``days == 0`` gives ``start`` itself on a working day, else the same clock time on the
    next working day. The result is an aware datetime in the current time zone.
    """
    if days < 0:
        raise ValueError("days must be >= 0")
    local = timezone.localtime(start)
    day = local.date()
    counted = 0
    while counted < days:
        day += dt.timedelta(days=1)
        if is_workday(day):
            counted += 1
    if days == 0:
        while not is_workday(day):
            day += dt.timedelta(days=1)
        if day == local.date():
            return local
    naive = dt.datetime.combine(day, local.time().replace(tzinfo=None))
    return timezone.make_aware(naive, timezone.get_current_timezone())


def working_hours_between(start: dt.datetime, end: dt.datetime) -> float:
    """Hours between two instants that fall on working days (whole days counted 24 h)."""
    if end <= start:
        return 0.0
    total = 0.0
    cursor = timezone.localtime(start)
    end = timezone.localtime(end)
    while cursor < end:
        next_day = cursor.date() + dt.timedelta(days=1)
        next_midnight = timezone.make_aware(dt.datetime.combine(next_day, dt.time()),
                                            timezone.get_current_timezone())
        segment_end = min(end, next_midnight)
        if is_workday(cursor.date()):
            total += (segment_end - cursor).total_seconds() / 3600
        cursor = segment_end
    return total


# --- loading an official notice (``civicgrid load-holidays FILE``) --------------------------

DAY_TYPES = {"休": False, "班": True, "off": False, "work": True, "holiday": False,
             "workday": True}


@dataclass(frozen=True)
class NoticeDay:
    date: dt.date
    is_workday: bool
    name: str = ""


class NoticeError(ValueError):
    """A notice file that cannot be loaded; the message names the line and the problem."""


def _notice_day(raw: dict[str, Any], where: str) -> NoticeDay:
    text = str(raw.get("date") or "").strip()
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise NoticeError(f"{where}：日期 {text!r} 无效，应为 YYYY-MM-DD。") from None
    kind = str(raw.get("type") or "").strip().lower()
    if kind not in DAY_TYPES:
        raise NoticeError(f"{where}：类型 {kind!r} 无效，应为 休 或 班。")
    name = str(raw.get("name") or "").strip()
    if len(name) > 64:
        raise NoticeError(f"{where}：说明超过 64 个字。")
    return NoticeDay(day, DAY_TYPES[kind], name)


def parse_notice(text: str, *, fmt: str) -> list[NoticeDay]:
    """CSV (header ``date,type,name``) or JSON (a list of objects with those keys)."""
    days: list[NoticeDay] = []
    if fmt == "json":
        try:
            rows = json.loads(text)
        except json.JSONDecodeError as exc:
            raise NoticeError(f"JSON 无法解析：{exc}") from None
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise NoticeError("JSON 应为对象列表：[{\"date\": …, \"type\": \"休\", \"name\": …}]。")
        days = [_notice_day(r, f"第 {i + 1} 项") for i, r in enumerate(rows)]
    elif fmt == "csv":
        reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
        if not reader.fieldnames or not {"date", "type"} <= {f.strip() for f in reader.fieldnames}:
            raise NoticeError("CSV 首行应为表头：date,type,name。")
        for row in reader:
            clean = {(k or "").strip(): v for k, v in row.items()}
            days.append(_notice_day(clean, f"第 {reader.line_num} 行"))
    else:
        raise NoticeError(f"不支持的格式：{fmt}")
    if not days:
        raise NoticeError("文件中没有日期。")
    seen: dict[dt.date, NoticeDay] = {}
    for day in days:
        if day.date in seen and seen[day.date].is_workday != day.is_workday:
            raise NoticeError(f"{day.date} 同时被标为休和班。")
        seen[day.date] = day
    return sorted(seen.values(), key=lambda d: d.date)


@dataclass(frozen=True)
class LoadResult:
    created: int
    updated: int
    unchanged: int
    removed: int


def load_notice(*, actor: Any, days: list[NoticeDay], source: str,
                replace_years: bool = False) -> LoadResult:
    """Store the notice as ``CalendarDay`` overrides (idempotent), audit it, clear the cache.

    ``replace_years``: rows of the notice's years that the notice does not list are removed
    (a corrected notice replaces the earlier one).
    """
    from civicgrid.core import audit
    from civicgrid.core.models import CalendarDay

    created = updated = unchanged = removed = 0
    with transaction.atomic():
        existing = {c.date: c for c in CalendarDay.objects.select_for_update()
                    .filter(date__in=[d.date for d in days])}
        for day in days:
            row = existing.get(day.date)
            if row is None:
                CalendarDay.objects.create(date=day.date, is_workday=day.is_workday, name=day.name)
                created += 1
            elif row.is_workday != day.is_workday or row.name != day.name:
                row.is_workday, row.name = day.is_workday, day.name
                row.save(update_fields=["is_workday", "name"])
                updated += 1
            else:
                unchanged += 1
        if replace_years:
            years = sorted({d.date.year for d in days})
            removed, _ = (CalendarDay.objects.filter(date__year__in=years)
                          .exclude(date__in=[d.date for d in days]).delete())
        result = LoadResult(created, updated, unchanged, removed)
        if created or updated or removed:
            audit.record(actor=actor, actor_name=None if actor else "system",
                         action="core.load_holidays", target=source[:200],
                         data={"created": created, "updated": updated, "removed": removed,
                               "first": days[0].date, "last": days[-1].date})
        transaction.on_commit(forget_overrides)
    forget_overrides()
    return result
