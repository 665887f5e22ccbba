"""What a webhook says: one small payload per event, with no personal data of the reporter."""

from __future__ import annotations

import datetime as dt
from typing import Any

from civicgrid.cases.models import Case, CaseEvent
from civicgrid.webhooks.models import Event


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def case_summary(case: Case) -> dict[str, Any]:
    """The case as a subscriber sees it: codes and times, never the reporter's name or phone."""
    return {
        "id": case.pk, "code": case.code, "state": case.state, "channel": case.channel,
        "source_ref": case.source_ref, "category": case.category.code if case.category_id else None,
        "urgency": case.urgency, "title": case.title, "area_code": case.area_code,
        "owner": case.owner_id, "created_at": _iso(case.created_at),
        "due_at": _iso(case.due_at), "closed_at": _iso(case.closed_at), "version": case.version,
    }


def for_case_event(event: CaseEvent, case: Case) -> tuple[str, str, dict[str, Any]] | None:
    """(event name, event id, payload) for a committed timeline entry, or None to stay quiet."""
    if event.action == "report":
        name = Event.CASE_CREATED
    elif event.to_state and event.from_state != event.to_state:
        name = Event.CASE_STATE_CHANGED
    else:
        return None  # a note on the timeline (督办, extension request …), not a state change
    event_id = f"ce-{event.pk}"
    payload = {
        "id": event_id, "event": str(name), "occurred_at": _iso(event.at),
        "case": case_summary(case),
        "change": {"action": event.action, "from_state": event.from_state or None,
                   "to_state": event.to_state},
    }
    return str(name), event_id, payload


def for_overdue(case: Case, *, stage: str, due_at: dt.datetime, department_id: int | None
                ) -> tuple[str, str, dict[str, Any]]:
    event_id = f"od-{case.pk}-{stage}-{department_id or 0}-{int(due_at.timestamp())}"
    payload = {
        "id": event_id, "event": str(Event.CASE_DEADLINE_PASSED), "occurred_at": _iso(due_at),
        "case": case_summary(case),
        "deadline": {"stage": stage, "due_at": _iso(due_at), "department": department_id},
    }
    return str(Event.CASE_DEADLINE_PASSED), event_id, payload
