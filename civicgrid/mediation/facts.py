"""What a dispute counts for in the KPIs, said twice: from its row (the rollups) and as a
filter (the drill-down lists and the brute-force check). Both must say the same.

A dispute counts in the period of the day it was registered (a cohort: "of the disputes
registered in March, how many were accepted, how many settled"), in its area, at its
current level (where it is mediated now, or was settled), under its type and its current
mediator (0: none yet).

- 排查数 (screened): every registered dispute, found by screening or reported;
- 受理数 (accepted): ``accepted_at`` is set; 调解成功数 (resolved): ``resolved_at`` is set;
  按期化解: resolved within the mediation deadline of the level that settled it;
- per level (村/镇/县): accepted there = an accepted dispute that was at that level at some
  time (levels only go up, one step at a time: from ``start_level`` to ``level``); settled
  there = resolved and at that level now (a resolved dispute never moves); sent up from there
  = accepted there and now at a higher level. An escalated dispute thus counts as accepted at
  each level it passed, as escalated from each but the last, and as settled only where it
  was settled. Went up (escalated): accepted, and now above the level it started at.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.db.models import F, Q
from django.utils import timezone

from civicgrid.mediation.models import LEVEL_ORDER, Level
from civicgrid.mediation.rollup_models import LEVELS, MEASURES, DisputeFact

AREA_LEVELS = (6, 9, 12, 15)
DISPUTE_COLUMNS = ("id", "area_code", "created_at", "start_level", "level", "dispute_type",
                   "mediator_id", "accepted_at", "resolved_at", "resolved_on_time")
FACT_FIELDS = [f.attname for f in DisputeFact._meta.concrete_fields]

# grain, period, area level, area, level, type, mediator
Key = tuple[str, dt.date, int, str, str, str, int]


def fact_of(d: Any) -> DisputeFact:
    """The fact of a dispute (a ``Dispute`` or an object with ``DISPUTE_COLUMNS``)."""
    resolved = d.resolved_at is not None
    return DisputeFact(
        dispute_id=d.id, area=d.area_code, created_day=timezone.localtime(d.created_at).date(),
        start_level=d.start_level, level=d.level, dispute_type=d.dispute_type,
        mediator_id=d.mediator_id or 0, accepted=d.accepted_at is not None, resolved=resolved,
        resolved_on_time=resolved and bool(d.resolved_on_time),
    )


def same(a: DisputeFact | None, b: DisputeFact | None) -> bool:
    if a is None or b is None:
        return a is b
    return all(getattr(a, f) == getattr(b, f) for f in FACT_FIELDS)


def _index(level: str) -> int:
    return LEVEL_ORDER.index(Level(level))


def measures_of(fact: DisputeFact) -> dict[str, int]:
    values = dict.fromkeys(MEASURES, 0)
    values["screened"] = 1
    values["accepted"] = int(fact.accepted)
    values["resolved"] = int(fact.resolved)
    values["resolved_on_time"] = int(fact.resolved_on_time)
    if fact.accepted:
        low, high = _index(fact.start_level), _index(fact.level)
        values["escalated"] = int(high > low)
        for i in range(low, high + 1):
            values[f"accepted_{LEVELS[i]}"] = 1
            if i < high:
                values[f"escalated_{LEVELS[i]}"] = 1
    if fact.resolved:
        values[f"resolved_{fact.level}"] = 1
    return {m: v for m, v in values.items() if v}


def periods_of(day: dt.date) -> list[tuple[str, dt.date]]:
    return [("d", day), ("m", day.replace(day=1)), ("y", day.replace(month=1, day=1))]


def keys_of(day: dt.date, area: str, level: str, dispute_type: str, mediator: int) -> list[Key]:
    """The rollup rows a dispute with these values adds to."""
    return [(grain, period, n, area[:n], level, dispute_type, mediator)
            for grain, period in periods_of(day) for n in AREA_LEVELS]


def contributions(fact: DisputeFact | None) -> dict[Key, dict[str, int]]:
    if fact is None:
        return {}
    values = measures_of(fact)
    return {key: dict(values) for key in keys_of(fact.created_day, fact.area, fact.level,
                                                 fact.dispute_type, fact.mediator_id)}


def delta(old: DisputeFact | None, new: DisputeFact | None) -> dict[Key, dict[str, int]]:
    """new − old per rollup row, without the rows that do not change."""
    total: dict[Key, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for sign, fact in ((-1, old), (1, new)):
        for key, values in contributions(fact).items():
            for m, v in values.items():
                total[key][m] += sign * v
    return {k: {m: v for m, v in vals.items() if v} for k, vals in total.items() if any(vals.values())}


# --- the same definitions as filters on ``Dispute`` --------------------------------------

def visited(level: str) -> Q:
    """Disputes that were at ``level`` at some time (levels only go up, one step at a time)."""
    i = _index(level)
    return (Q(start_level__in=[lv.value for lv in LEVEL_ORDER[:i + 1]])
            & Q(level__in=[lv.value for lv in LEVEL_ORDER[i:]]))


def measure_q(measure: str) -> Q:
    """Which disputes count for ``measure`` (``MEASURES``); unknown names raise KeyError."""
    accepted, resolved = Q(accepted_at__isnull=False), Q(resolved_at__isnull=False)
    fixed = {"screened": Q(), "accepted": accepted, "resolved": resolved,
             "resolved_on_time": resolved & Q(resolved_on_time=True),
             "escalated": accepted & ~Q(level=F("start_level"))}
    if measure in fixed:
        return fixed[measure]
    kind, _sep, level = measure.partition("_")
    if measure not in MEASURES:
        raise KeyError(measure)
    if kind == "accepted":
        return accepted & visited(level)
    if kind == "resolved":
        return resolved & Q(level=level)
    later = [lv.value for lv in LEVEL_ORDER[_index(level) + 1:]]
    return accepted & visited(level) & Q(level__in=later)
