"""Listening to the case workflow and the tick: queue deliveries.

A case event's deliveries are queued in the transaction that wrote it (``case_event_recorded``):
they commit with the action — one small insert in the same commit, not a second commit (a
second fsync halved the intake rate on durable PostgreSQL) — and vanish with it if it rolls
back. Everything that can go wrong (a subscriber row that makes no sense, the payload) goes
wrong in Python before the insert and is logged and swallowed: a webhook problem never fails a
case action. The insert itself cannot conflict (``ON CONFLICT DO NOTHING``), and subscribers
are switched off, never deleted (the admin offers no delete), so it never points at a missing
one when the action commits — hence no savepoint around it (two more statements per report). ``case_overdue`` comes from the tick after its commit. Sending happens in the worker.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from civicgrid.cases.models import Case, CaseEvent
from civicgrid.webhooks import delivery, events, services

logger = logging.getLogger("civicgrid.webhooks")


def on_case_event(sender: Any, event: CaseEvent | None = None, case: Case | None = None,
                  **kwargs: Any) -> None:
    if event is None or case is None:
        return
    try:
        found = events.for_case_event(event, case)
        if found is not None:
            name, event_id, payload = found
            services.enqueue(event=name, event_id=event_id, payload=payload,
                             area_code=case.area_code)
    except Exception:
        logger.exception("webhooks for case event %s could not be queued", event.pk)


def on_overdue(sender: Any, case: Case | None = None, stage: str = "",
               due_at: dt.datetime | None = None, department_id: int | None = None,
               **kwargs: Any) -> None:
    if case is None or due_at is None:
        return
    try:
        name, event_id, payload = events.for_overdue(case, stage=stage, due_at=due_at,
                                                     department_id=department_id)
        services.enqueue(event=name, event_id=event_id, payload=payload, area_code=case.area_code)
    except Exception:
        logger.exception("deadline webhook for case %s could not be queued", case.pk)


def on_tick(sender: Any, now: dt.datetime | None = None, **kwargs: Any) -> dict[str, int]:
    report = delivery.deliver_due(now=now)
    return {"推送成功": report.sent, "推送待重试": report.retried, "推送放弃": report.dead}


def connect() -> None:
    from civicgrid.cases.tick import case_overdue, tick_done
    from civicgrid.cases.workflow import case_event_recorded

    case_event_recorded.connect(on_case_event, dispatch_uid="webhooks.case_event")
    case_overdue.connect(on_overdue, dispatch_uid="webhooks.case_overdue")
    tick_done.connect(on_tick, dispatch_uid="webhooks.tick")
