"""Deadlines as stored data: computed at each step from the policy table.

``DeadlinePolicy`` rows map (stage × category × urgency × area level) to hours or working
days; the most specific row wins (category beats its 大类 beats any; then urgency; then
area level). The result is stored on the case/assignment and never recomputed from memory.

Each open case and assignment shows 正常 / 将到期 / 已超期: ``case_timeliness`` and
``assignment_timeliness`` (templates: ``{% load case_deadlines %}{{ case|timeliness }}``),
with the ``due_soon_ratio`` of the policy row that set the deadline.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext_lazy

from civicgrid.accounts.models import OrgUnit
from civicgrid.cases.models import (
    STAGE_OF_STATE,
    Assignment,
    AssignmentState,
    Case,
    Category,
    DeadlinePolicy,
    DeadlineUnit,
    Stage,
    State,
)
from civicgrid.core import refcache
from civicgrid.core.workcalendar import add_workdays

# Used when no policy row matches at all (a fresh install before the defaults are loaded).
FALLBACK = {
    Stage.ACCEPT: (2, DeadlineUnit.HOURS), Stage.DISPATCH: (4, DeadlineUnit.HOURS),
    Stage.SIGN: (2, DeadlineUnit.HOURS), Stage.HANDLE: (5, DeadlineUnit.WORKDAYS),
    Stage.VERIFY: (2, DeadlineUnit.WORKDAYS),
}


@dataclass(frozen=True)
class Limit:
    amount: int
    unit: str
    due_soon_ratio: float = 0.2

    def due(self, start: dt.datetime) -> dt.datetime:
        if self.unit == DeadlineUnit.HOURS:
            return start + dt.timedelta(hours=self.amount)
        return add_workdays(start, self.amount)


def _score(policy: DeadlinePolicy, category: Category | None) -> tuple[int, int, int]:
    cat = 0
    if policy.category_id is not None and category is not None:
        cat = 2 if policy.category_id == category.pk else 1
    return (cat, 1 if policy.urgency else 0, 1 if policy.area_level else 0)


def best_policy(policies: Iterable[DeadlinePolicy], *, stage: str, category: Category | None,
                urgency: str, area_level: str) -> DeadlinePolicy | None:
    """The most specific row: the 小类 beats its 大类 beats any; then urgency; then level."""
    cat_ids = [c.pk for c in (category, category.parent if category else None) if c is not None]
    best: DeadlinePolicy | None = None
    for policy in policies:
        if policy.stage != stage:
            continue
        if policy.category_id is not None and policy.category_id not in cat_ids:
            continue
        if policy.urgency and policy.urgency != urgency:
            continue
        if policy.area_level and policy.area_level != area_level:
            continue
        if best is None or _score(policy, category) > _score(best, category):
            best = policy
    return best


def _limit(policy: DeadlinePolicy | None, stage: str) -> Limit:
    if policy is None:
        amount, unit = FALLBACK[Stage(stage)]
        return Limit(amount, unit)
    return Limit(policy.amount, policy.unit, policy.due_soon_ratio)


def all_policies() -> list[DeadlinePolicy]:
    """Every policy row (a few dozen), cached across requests (``core.refcache``)."""
    return refcache.get("deadline_policies", lambda: list(DeadlinePolicy.objects.all()))


def limit_for(*, stage: str, category: Category | None, urgency: str, area_level: str) -> Limit:
    policies = all_policies()  # best_policy keeps the stage's rows
    return _limit(best_policy(policies, stage=stage, category=category, urgency=urgency,
                              area_level=area_level), stage)


def due_for(*, stage: str, category: Category | None, urgency: str, area_level: str,
            start: dt.datetime) -> dt.datetime:
    return limit_for(stage=stage, category=category, urgency=urgency, area_level=area_level).due(start)


class Timeliness:
    NORMAL = "normal"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"

    LABELS = {NORMAL: gettext_lazy("正常"), DUE_SOON: gettext_lazy("将到期"),
              OVERDUE: gettext_lazy("已超期")}


def timeliness(*, start: dt.datetime, due: dt.datetime | None, now: dt.datetime | None = None,
               due_soon_ratio: float = 0.2) -> str:
    """normal / due soon (the last ``due_soon_ratio`` of the allowed time) / overdue."""
    if due is None:
        return Timeliness.NORMAL
    now = now or timezone.now()
    if now > due:
        return Timeliness.OVERDUE
    if now >= due - (due - start) * due_soon_ratio:
        return Timeliness.DUE_SOON
    return Timeliness.NORMAL


_RANK = {Timeliness.NORMAL: 0, Timeliness.DUE_SOON: 1, Timeliness.OVERDUE: 2}


def worst(*values: str) -> str:
    return max(values, key=lambda v: _RANK[v]) if values else Timeliness.NORMAL


class PolicyTable:
    """All policy rows and owner levels, loaded once: timeliness for a page of cases."""

    def __init__(self) -> None:
        self.policies = list(DeadlinePolicy.objects.all())
        self._levels: dict[int, str] = {}

    def level_of(self, case: Case) -> str:
        if case.owner_id not in self._levels:
            self._levels.update(OrgUnit.objects.filter(pk=case.owner_id)
                                .values_list("pk", "area__level"))
        return self._levels.get(case.owner_id, "")

    def preload_levels(self, cases: Iterable[Case]) -> None:
        ids = {c.owner_id for c in cases} - set(self._levels)
        if ids:
            self._levels.update(OrgUnit.objects.filter(pk__in=ids).values_list("pk", "area__level"))

    def ratio(self, case: Case, stage: str) -> float:
        policy = best_policy(self.policies, stage=stage, category=case.category,
                             urgency=case.urgency, area_level=self.level_of(case))
        return _limit(policy, stage).due_soon_ratio


def _case_window(case: Case) -> tuple[dt.datetime, dt.datetime | None]:
    """When the running deadline's period began, and the deadline itself."""
    start = case.stage_started_at
    if case.state == State.IN_PROGRESS and case.dispatched_at and not (case.rework_count
                                                                        or case.reopen_count):
        start = min(start, case.dispatched_at)  # the handling period runs from dispatch
    return start, case.due_at


def case_timeliness(case: Case, *, now: dt.datetime | None = None,
                    table: PolicyTable | None = None) -> str:
    """正常 / 将到期 / 已超期 of an open case's current stage; "" for a closed case."""
    stage = STAGE_OF_STATE.get(State(case.state))
    if stage is None:
        return ""
    table = table or PolicyTable()
    start, due = _case_window(case)
    return timeliness(start=start, due=due, now=now, due_soon_ratio=table.ratio(case, stage))


def assignment_timeliness(assignment: Assignment, *, now: dt.datetime | None = None,
                          table: PolicyTable | None = None) -> str:
    """Of a department's open part: the sign deadline until signed, and the handle deadline."""
    if assignment.state not in (AssignmentState.DISPATCHED, AssignmentState.SIGNED):
        return ""
    table = table or PolicyTable()
    case = assignment.case
    values = [timeliness(start=assignment.dispatched_at, due=assignment.handle_due_at, now=now,
                         due_soon_ratio=table.ratio(case, Stage.HANDLE))]
    if assignment.state == AssignmentState.DISPATCHED:
        values.append(timeliness(start=assignment.dispatched_at, due=assignment.sign_due_at,
                                 now=now, due_soon_ratio=table.ratio(case, Stage.SIGN)))
    return worst(*values)


def annotate_timeliness(cases: Iterable[Case], *, now: dt.datetime | None = None) -> list[Case]:
    """Set ``.timeliness`` and ``.timeliness_label`` on each case of a list (two queries)."""
    items = list(cases)
    table = PolicyTable()
    table.preload_levels(items)
    now = now or timezone.now()
    for case in items:
        case.timeliness = case_timeliness(case, now=now, table=table)  # type: ignore[attr-defined]
        case.timeliness_label = Timeliness.LABELS.get(case.timeliness, "")  # type: ignore[attr-defined]
    return items
