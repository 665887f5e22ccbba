"""Listening to the tick: deadline-passed events are queued, and each tick ends with a
worker pass.

Case events need no listener: the worker reads them from the case timeline after they have
committed (``outbox``), so a case action writes nothing for webhooks and cannot be delayed or
failed by them. A missed deadline is not a timeline entry; ``case_overdue`` comes after the
tick's commit and queues its deliveries (a problem is logged, never raised).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from civicgrid.cases.models import Case
from civicgrid.webhooks import delivery, events, services

logger = logging.getLogger("civicgrid.webhooks")


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

    case_overdue.connect(on_overdue, dispatch_uid="webhooks.case_overdue")
    tick_done.connect(on_tick, dispatch_uid="webhooks.tick")
