"""What a webhook says: one small payload per event, with no personal data of the reporter."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from civicgrid.cases.models import Case
from civicgrid.webhooks.models import Event

# the case as a subscriber sees it: codes and times, never the reporter's name or phone
SUMMARY_KEYS = ("id", "code", "state", "channel", "source_ref", "category", "urgency", "title",
                "area_code", "owner", "created_at", "due_at", "closed_at", "version")
# the same, as columns of ``Case`` (what the worker reads with each timeline entry)
SUMMARY_COLUMNS = ("id", "code", "state", "channel", "source_ref", "category__code", "urgency",
                   "title", "area_code", "owner_id", "created_at", "due_at", "closed_at",
                   "version")
_TIMES = ("created_at", "due_at", "closed_at")


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def summary(values: Sequence[Any]) -> dict[str, Any]:
    """The case summary from the values of ``SUMMARY_COLUMNS``, in that order."""
    found = dict(zip(SUMMARY_KEYS, values, strict=True))
    for key in _TIMES:
        found[key] = _iso(found[key])
    return found


def case_summary(case: Case) -> dict[str, Any]:
    return summary([case.pk, case.code, case.state, case.channel, case.source_ref,
                    case.category.code if case.category_id else None, case.urgency, case.title,
                    case.area_code, case.owner_id, case.created_at, case.due_at, case.closed_at,
                    case.version])


def name_of(action: str, from_state: str, to_state: str) -> str | None:
    """The webhook event a timeline entry is, or None for a note (督办, extension request …)."""
    if action == "report":
        return Event.CASE_CREATED.value
    if to_state and from_state != to_state:
        return Event.CASE_STATE_CHANGED.value
    return None


def timeline_event_id(entry_id: int) -> str:
    return f"ce-{entry_id}"


def for_timeline(*, name: str, entry_id: int, at: dt.datetime, action: str, from_state: str,
                 to_state: str, case: dict[str, Any]) -> dict[str, Any]:
    """The payload of a committed timeline entry (``case``: its ``summary``)."""
    return {
        "id": timeline_event_id(entry_id), "event": name, "occurred_at": _iso(at),
        "case": case,
        "change": {"action": action, "from_state": from_state or None, "to_state": to_state},
    }


def for_overdue(case: Case, *, stage: str, due_at: dt.datetime, department_id: int | None
                ) -> tuple[str, str, dict[str, Any]]:
    event_id = f"od-{case.pk}-{stage}-{department_id or 0}-{int(due_at.timestamp())}"
    payload = {
        "id": event_id, "event": str(Event.CASE_DEADLINE_PASSED), "occurred_at": _iso(due_at),
        "case": case_summary(case),
        "deadline": {"stage": stage, "due_at": _iso(due_at), "department": department_id},
    }
    return str(Event.CASE_DEADLINE_PASSED), event_id, payload
