"""Deadlines as stored data: computed at each step from the policy table.

``DeadlinePolicy`` rows map (stage × category × urgency × area level) to hours or working
days; the most specific row wins (category beats its 大类 beats any; then urgency; then
area level). The result is stored on the case/assignment and never recomputed from memory.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from civicgrid.cases.models import Category, DeadlinePolicy, DeadlineUnit, Stage
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


def limit_for(*, stage: str, category: Category | None, urgency: str, area_level: str) -> Limit:
    candidates = DeadlinePolicy.objects.filter(stage=stage)
    cat_ids = [c.pk for c in (category, category.parent if category else None) if c is not None]
    best: DeadlinePolicy | None = None
    for policy in candidates:
        if policy.category_id is not None and policy.category_id not in cat_ids:
            continue
        if policy.urgency and policy.urgency != urgency:
            continue
        if policy.area_level and policy.area_level != area_level:
            continue
        if best is None or _score(policy, category) > _score(best, category):
            best = policy
    if best is None:
        amount, unit = FALLBACK[Stage(stage)]
        return Limit(amount, unit)
    return Limit(best.amount, best.unit, best.due_soon_ratio)


def due_for(*, stage: str, category: Category | None, urgency: str, area_level: str,
            start: dt.datetime) -> dt.datetime:
    return limit_for(stage=stage, category=category, urgency=urgency, area_level=area_level).due(start)


class Timeliness:
    NORMAL = "normal"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"

    LABELS = {NORMAL: "正常", DUE_SOON: "将到期", OVERDUE: "已超期"}


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
