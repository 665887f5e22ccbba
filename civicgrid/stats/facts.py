"""A case's fact: what it contributes to the rollups now, derived from the case row alone.

The same definitions drive the drill-down filters (``drilldown.py``) and the brute-force
check (``check.py``); a change here needs ``civicgrid rollups rebuild``.

- received: the day it was reported (``created_at``); registered: ``registered_at``;
- handled: ``handled_at`` (the last handling), reworked when ``rework_count`` > 0;
- closed (结案): state ``closed``, on ``closed_at``; on time per ``closed_on_time``; verified on
  time when ``closed_at`` is within the verify stage's deadline counted from ``handled_at``;
  handling time: the working seconds (whole working days of the statutory calendar, rounded
  to the nearest second) from dispatch (else registration, else report) to handling;
  rated / satisfied (``satisfaction`` ≥ the ``satisfied_at_least`` parameter);
- open: the day its current deadline falls on (``NO_DUE`` without one).
- department: the active lead assignment's department (0 when none).

One definition for every path: ``compute`` works on the columns of a batch of cases as arrays
(``fact_columns``, ``workspan``) — the fold worker's few cases (``facts_for``), the rebuild's
millions a chunk at a time, and the working hours and verify deadlines of the check.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import numpy as np
from django.utils import timezone

from civicgrid.accounts.models import OrgUnit
from civicgrid.cases import deadlines
from civicgrid.cases.models import Assignment, Category, DeadlineUnit, Stage
from civicgrid.cases.workflow import ACTIVE_ASSIGNMENT
from civicgrid.stats import kpis, workspan
from civicgrid.stats.fact_columns import CLOSED, OPEN, Columns, read_ids
from civicgrid.stats.models import CaseFact
from civicgrid.stats.workspan import NONE, US

NO_DUE = dt.date(9999, 12, 31)
FACT_FIELDS = [f.attname for f in CaseFact._meta.concrete_fields]


def local_day(value: dt.datetime | None) -> dt.date | None:
    return timezone.localtime(value).date() if value is not None else None


def lead_departments(case_ids: Iterable[int]) -> dict[int, int]:
    rows = Assignment.objects.filter(case_id__in=list(case_ids), role="lead",
                                     state__in=ACTIVE_ASSIGNMENT).values_list("case_id", "department_id")
    return dict(rows)


def lead_departments_between(low: int, high: int) -> dict[int, int]:
    """The same for a range of case ids (an index range scan, no id list)."""
    rows = Assignment.objects.filter(case_id__gte=low, case_id__lte=high, role="lead",
                                     state__in=ACTIVE_ASSIGNMENT).values_list("case_id", "department_id")
    return dict(rows)


class Reference:
    """Categories (with their 大类) and centres' area levels, read once per batch."""

    def __init__(self) -> None:
        self.categories = {c.pk: c for c in Category.objects.select_related("parent")}
        self.levels = dict(OrgUnit.objects.values_list("pk", "area__level"))
        self._limits: dict[tuple[int | None, str, int], deadlines.Limit] = {}

    def verify_limit(self, category_id: int | None, urgency: str, owner_id: int) -> deadlines.Limit:
        key = (category_id, urgency, owner_id)
        found = self._limits.get(key)
        if found is None:
            found = self._limits[key] = deadlines.limit_for(
                stage=Stage.VERIFY, category=self.categories.get(category_id or 0), urgency=urgency,
                area_level=self.levels.get(owner_id, ""))
        return found


class Computed:
    """The facts of a batch of cases, computed with array arithmetic (see the module text)."""

    def __init__(self, cols: Columns, leads: dict[int, int], ref: Reference) -> None:
        self.cols = cols
        closed = (cols.state == CLOSED) & (cols.closed != NONE)
        handled = cols.handled != NONE
        done = closed & handled
        amount, hours = _verify_limits(cols, ref, done)
        ahead = int(amount.max()) * 3 + 40 if len(cols) else 0
        span = self.span = workspan.span_for(*cols.times(), ahead_days=ahead)
        start = np.where(cols.dispatched != NONE, cols.dispatched,
                         np.where(cols.registered != NONE, cols.registered, cols.created))
        worked = span.working_us(start, np.where(handled, cols.handled, start))
        self.handle_seconds = np.where(done, (worked + US // 2) // US, 0)
        due = np.where(hours, cols.handled + amount * 3600 * US,
                       span.add_workdays(np.where(done, cols.handled, cols.created), amount))
        if (done & ~hours & (due == NONE)).any():  # cannot happen: ``ahead`` covers the longest
            raise RuntimeError("the working-day span ends before a verify deadline")
        self.verified = done & (cols.closed <= due)
        self.rated = closed & (cols.satisfaction >= 0)
        self.satisfied = self.rated & (cols.satisfaction >= kpis.param("satisfied_at_least"))
        self.department = [leads.get(i, 0) for i in cols.id.tolist()]
        self.reworked = handled & (cols.rework > 0)
        self.closed = closed
        self.handle_count = done.astype(np.int64)
        is_open = cols.state == OPEN
        self.open_day = np.where(is_open, span.day(cols.due), NONE)
        self.open_no_due = is_open & (cols.due == NONE)

    def day(self, times: np.ndarray) -> np.ndarray:
        return self.span.day(times)

    def arrays(self) -> dict[str, np.ndarray]:
        """The fact columns as arrays: the dates as indexes of local days in ``span`` (NONE:
        none; the open day NONE with ``open_no_due`` for an open case without deadline)."""
        c = self.cols
        return {
            "created_day": self.day(c.created), "registered_day": self.day(c.registered),
            "handled_day": self.day(c.handled), "reworked": self.reworked,
            "closed_day": np.where(self.closed, self.day(c.closed), NONE),
            "closed_on_time": self.closed & c.closed_on_time, "verified_on_time": self.verified,
            "handle_seconds": self.handle_seconds, "handle_count": self.handle_count,
            "rated": self.rated, "satisfied": self.satisfied, "open_due_day": self.open_day,
        }

    def rows(self) -> list[tuple[Any, ...]]:
        """One tuple per case in ``FACT_FIELDS`` order (what ``CaseFact`` stores)."""
        days, c, a = self.span.dates, self.cols, self.arrays()

        def dates(index: np.ndarray) -> list[dt.date | None]:
            return [days[i] for i in index.tolist()]  # NONE (−1) → None

        open_days = [NO_DUE if no_due else day for day, no_due in
                     zip(dates(a["open_due_day"]), self.open_no_due.tolist(), strict=True)]
        return list(zip(
            c.id.tolist(), c.area, c.category.tolist(), c.channel, self.department,
            *(dates(a[f]) if f.endswith("_day") else a[f].tolist() for f in FACT_FIELDS[5:-1]),
            open_days, strict=True))


def _verify_limits(cols: Columns, ref: Reference, needed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per case: the verify stage's amount and whether it counts hours (else working days);
    one policy lookup per distinct (category, urgency, centre)."""
    amount = np.zeros(len(cols), dtype=np.int64)
    hours = np.zeros(len(cols), dtype=bool)
    index = np.flatnonzero(needed)
    if index.size:
        names, urgency = np.unique(np.array(cols.urgency, dtype=str)[index], return_inverse=True)
        keys = np.stack([cols.category[index], urgency.ravel(), cols.owner[index]], axis=1)
        unique, inverse = np.unique(keys, axis=0, return_inverse=True)
        found = [ref.verify_limit(cat or None, str(names[u]), owner) for cat, u, owner in unique.tolist()]
        amount[index] = np.array([f.amount for f in found], dtype=np.int64)[inverse.ravel()]
        hours[index] = np.array([f.unit == DeadlineUnit.HOURS for f in found], dtype=bool)[inverse.ravel()]
    return amount, hours


def compute(cols: Columns, leads: dict[int, int], ref: Reference | None = None) -> Computed:
    return Computed(cols, leads, ref or Reference())


def facts_for(case_ids: Iterable[int]) -> dict[int, CaseFact]:
    """The current facts of these cases (a case that no longer exists has none)."""
    ids = sorted(set(case_ids))
    if not ids:
        return {}
    rows = compute(read_ids(ids), lead_departments(ids)).rows()
    return {row[0]: CaseFact(**dict(zip(FACT_FIELDS, row, strict=True))) for row in rows}


def same(a: CaseFact | None, b: CaseFact | None) -> bool:
    if a is None or b is None:
        return a is b
    return all(getattr(a, f) == getattr(b, f) for f in FACT_FIELDS)
