"""Brute-force dispute KPIs for the tests, written apart from ``mediation.facts``: every
dispute and its timeline read into Python, the measures taken from the timeline (``lives``,
``count``); and one plain SQL COUNT per measure over the dispute table (``sql_count``)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from django.db import connection
from django.utils import timezone

from civicgrid.mediation.models import Dispute, DisputeEvent


@dataclass(frozen=True)
class Life:
    area: str
    day: dt.date
    level: str
    dispute_type: str
    mediator: int
    measures: frozenset[str]


def timeline_measures(events: list[DisputeEvent]) -> frozenset[str]:
    actions = [e.action for e in events]
    found = {"screened"}
    if "accept" not in actions:
        return frozenset(found)
    found.add("accepted")
    levels = [events[0].level] + [e.data["to_level"] for e in events if e.action == "escalate"]
    found |= {f"accepted_{lv}" for lv in levels} | {f"escalated_{lv}" for lv in levels[:-1]}
    if len(levels) > 1:
        found.add("escalated")
    resolve = next((e for e in events if e.action == "resolve"), None)
    if resolve is not None:
        found |= {"resolved", f"resolved_{resolve.level}"}
        if resolve.data["on_time"]:
            found.add("resolved_on_time")
    return frozenset(found)


def lives() -> list[Life]:
    timeline: dict[int, list[DisputeEvent]] = {}
    for e in DisputeEvent.objects.order_by("at", "id"):
        timeline.setdefault(e.dispute_id, []).append(e)
    return [Life(d.area_code, timezone.localtime(d.created_at).date(), d.level, d.dispute_type,
                 d.mediator_id or 0, timeline_measures(timeline[d.pk]))
            for d in Dispute.objects.order_by("pk")]


def count(rows: list[Life], *, prefixes: tuple[str, ...], start: dt.date | None = None,
          end: dt.date | None = None, level: str = "", dispute_type: str = "",
          mediator: int | None = None) -> Counter[str]:
    """Each measure over the disputes that pass the filters (``end`` inclusive)."""
    total: Counter[str] = Counter()
    for r in rows:
        if not any(r.area.startswith(p) for p in prefixes):
            continue
        if (start and r.day < start) or (end and r.day > end):
            continue
        if (level and r.level != level) or (dispute_type and r.dispute_type != dispute_type):
            continue
        if mediator is not None and r.mediator != mediator:
            continue
        total.update(r.measures)
    return total


# each measure as a plain SQL condition on mediation_dispute
_ACCEPTED = "accepted_at IS NOT NULL"
_RESOLVED = "resolved_at IS NOT NULL"
SQL = {
    "screened": "1 = 1",
    "accepted": _ACCEPTED,
    "resolved": _RESOLVED,
    "resolved_on_time": f"{_RESOLVED} AND resolved_on_time",
    "escalated": f"{_ACCEPTED} AND level <> start_level",
    "accepted_village": f"{_ACCEPTED} AND start_level = 'village'",
    "accepted_township": f"{_ACCEPTED} AND start_level IN ('village', 'township') "
                         "AND level IN ('township', 'county')",
    "accepted_county": f"{_ACCEPTED} AND level = 'county'",
    "resolved_village": f"{_RESOLVED} AND level = 'village'",
    "resolved_township": f"{_RESOLVED} AND level = 'township'",
    "resolved_county": f"{_RESOLVED} AND level = 'county'",
    "escalated_village": f"{_ACCEPTED} AND start_level = 'village' AND level <> 'village'",
    "escalated_township": f"{_ACCEPTED} AND start_level IN ('village', 'township') "
                          "AND level = 'county'",
    "escalated_county": "1 = 0",
}


def _midnight(day: dt.date) -> object:
    at = timezone.make_aware(dt.datetime.combine(day, dt.time()))
    return connection.ops.adapt_datetimefield_value(at)


def sql_count(measure: str, *, prefixes: tuple[str, ...], start: dt.date | None = None,
              end: dt.date | None = None, level: str = "", dispute_type: str = "",
              mediator: int | None = None) -> int:
    """SELECT COUNT(*) with the filters (``end`` inclusive), no ORM filters involved."""
    where, params = [f"({SQL[measure]})"], []
    where.append("(" + " OR ".join(["area_code LIKE %s"] * len(prefixes) or ["1 = 0"]) + ")")
    params += [p + "%" for p in prefixes]
    if start:
        where.append("created_at >= %s")
        params.append(_midnight(start))
    if end:
        where.append("created_at < %s")
        params.append(_midnight(end + dt.timedelta(days=1)))
    if level:
        where.append("level = %s")
        params.append(level)
    if dispute_type:
        where.append("dispute_type = %s")
        params.append(dispute_type)
    if mediator == 0:
        where.append("mediator_id IS NULL")
    elif mediator is not None:
        where.append("mediator_id = %s")
        params.append(mediator)
    with connection.cursor() as cursor:
        sql = "SELECT COUNT(*) FROM mediation_dispute WHERE " + " AND ".join(where)  # noqa: S608 - constants; values are parameters
        cursor.execute(sql, params)
        return int(cursor.fetchone()[0])
