"""Brute-force dispute KPIs for the tests: every dispute and its timeline read into Python,
the measures taken from the timeline (not from the fields the rollups are made of)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

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


def _measures(events: list[DisputeEvent]) -> frozenset[str]:
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
                 d.mediator_id or 0, _measures(timeline[d.pk]))
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
