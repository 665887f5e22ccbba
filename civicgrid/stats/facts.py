"""A case's fact: what it contributes to the rollups now, derived from the case row alone.

The same definitions drive the drill-down filters (``drilldown.py``) and the brute-force
check (``check.py``); a change here needs ``civicgrid rollups rebuild``.

- received: the day it was reported (``created_at``); registered: ``registered_at``;
- handled: ``handled_at`` (the last handling), reworked when ``rework_count`` > 0;
- closed (结案): state ``closed``, on ``closed_at``; on time per ``closed_on_time``; verified on
  time when ``closed_at`` is within the verify stage's deadline counted from ``handled_at``;
  handling time in working hours from dispatch (else registration, else report) to handling;
  rated / satisfied (``satisfaction`` ≥ the ``satisfied_at_least`` parameter);
- open: the day its current deadline falls on (``NO_DUE`` without one).
- department: the active lead assignment's department (0 when none).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import NamedTuple

from django.db.models import QuerySet
from django.utils import timezone

from civicgrid.accounts.models import OrgUnit
from civicgrid.cases import deadlines
from civicgrid.cases.models import OPEN_STATES, Assignment, Case, Category, Stage, State
from civicgrid.cases.workflow import ACTIVE_ASSIGNMENT
from civicgrid.core.workcalendar import working_hours_between
from civicgrid.stats import kpis
from civicgrid.stats.models import CaseFact

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


def handle_seconds(case: Case | CaseRow) -> int:
    start = case.dispatched_at or case.registered_at or case.created_at
    if case.handled_at is None:
        return 0
    return round(working_hours_between(start, case.handled_at) * 3600)


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


def verified_on_time(case: Case | CaseRow, ref: Reference) -> bool:
    if case.state != State.CLOSED or case.handled_at is None or case.closed_at is None:
        return False
    due = ref.verify_limit(case.category_id, case.urgency, case.owner_id).due(case.handled_at)
    return case.closed_at <= due


def fact_of(case: Case | CaseRow, department_id: int, ref: Reference) -> CaseFact:
    closed = case.state == State.CLOSED and case.closed_at is not None
    is_open = case.state in OPEN_STATES
    satisfied_at = kpis.param("satisfied_at_least")
    rated = closed and case.satisfaction is not None
    return CaseFact(
        case_id=case.pk, area=case.area_code, category_id=case.category_id or 0,
        channel=case.channel, department_id=department_id,
        created_day=local_day(case.created_at), registered_day=local_day(case.registered_at),
        handled_day=local_day(case.handled_at), reworked=case.handled_at is not None and case.rework_count > 0,
        closed_day=local_day(case.closed_at) if closed else None,
        closed_on_time=closed and bool(case.closed_on_time),
        verified_on_time=closed and verified_on_time(case, ref),
        handle_seconds=handle_seconds(case) if closed else 0,
        handle_count=1 if closed and case.handled_at is not None else 0,
        rated=rated, satisfied=rated and case.satisfaction >= satisfied_at,
        open_due_day=(local_day(case.due_at) or NO_DUE) if is_open else None,
    )


CASE_COLUMNS = ("id", "area_code", "category_id", "channel", "state", "urgency", "owner_id",
                "created_at", "registered_at", "dispatched_at", "handled_at", "closed_at",
                "closed_on_time", "rework_count", "satisfaction", "due_at")


class CaseRow(NamedTuple):
    """The columns of ``CASE_COLUMNS`` as a tuple (the rebuild reads millions of them)."""

    id: int
    area_code: str
    category_id: int | None
    channel: str
    state: str
    urgency: str
    owner_id: int
    created_at: dt.datetime
    registered_at: dt.datetime | None
    dispatched_at: dt.datetime | None
    handled_at: dt.datetime | None
    closed_at: dt.datetime | None
    closed_on_time: bool | None
    rework_count: int
    satisfaction: int | None
    due_at: dt.datetime | None

    @property
    def pk(self) -> int:
        return self.id


def cases_for_facts() -> QuerySet[Case]:
    """Only the columns a fact is made of (no texts, no joins)."""
    return Case.objects.only(*CASE_COLUMNS).order_by()


def facts_for(case_ids: Iterable[int]) -> dict[int, CaseFact]:
    """The current facts of these cases (a case that no longer exists has none)."""
    ids = sorted(set(case_ids))
    if not ids:
        return {}
    cases = list(cases_for_facts().filter(pk__in=ids))
    leads = lead_departments(ids)
    ref = Reference()
    return {c.pk: fact_of(c, leads.get(c.pk, 0), ref) for c in cases}


def same(a: CaseFact | None, b: CaseFact | None) -> bool:
    if a is None or b is None:
        return a is b
    return all(getattr(a, f) == getattr(b, f) for f in FACT_FIELDS)
