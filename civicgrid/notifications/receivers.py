"""Listening to the case workflow: after each committed event, apply the rules.

Runs after commit (``case_event_committed`` is sent from ``on_commit``), so the case action
has already succeeded; any error here is logged and swallowed: a notification problem never
fails or undoes a case action. With ``NOTIFY_SEND_AFTER_COMMIT`` the queued messages are
also tried once right away (errors recorded on the message); otherwise the worker sends them.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings

from civicgrid.cases.models import Case, CaseEvent
from civicgrid.notifications import outbox, rules, services

logger = logging.getLogger("civicgrid.notifications")


def on_case_event(sender: Any, event: CaseEvent | None = None, case: Case | None = None,
                  **kwargs: Any) -> None:
    if event is None or case is None:
        return
    rule = rules.RULES.get(event.action)
    if rule is None:
        return
    try:
        with services.site_language():
            notices = rule(event, case)
            keys = services.notify(case=case, topic=event.action, dedupe_key=f"event:{event.pk}",
                                   notices=notices, exclude=event.actor)
        _send_now(keys)
    except Exception:
        logger.exception("notifications for case event %s failed", event.pk)


def on_overdue(sender: Any, case: Case | None = None, stage: str = "",
               due_at: dt.datetime | None = None, department_id: int | None = None,
               **kwargs: Any) -> None:
    if case is None or due_at is None:
        return
    try:
        with services.site_language():
            notices = rules.on_overdue(case, stage=stage, due_at=due_at,
                                       department_id=department_id)
            key = f"overdue:{case.pk}:{stage}:{int(due_at.timestamp())}"
            keys = services.notify(case=case, topic="overdue", dedupe_key=key, notices=notices)
        _send_now(keys)
    except Exception:
        logger.exception("overdue notifications for case %s failed", case.pk)


def _send_now(keys: list[str]) -> None:
    if keys and getattr(settings, "NOTIFY_SEND_AFTER_COMMIT", False):
        outbox.deliver_due(keys=keys)


def on_tick(sender: Any, now: dt.datetime | None = None, **kwargs: Any) -> dict[str, int]:
    report = outbox.deliver_due(now=now)
    return {"消息已发送": report.sent, "待重试": report.retried, "发送失败": report.failed}


def connect() -> None:
    from civicgrid.cases.tick import case_overdue, tick_done
    from civicgrid.cases.workflow import case_event_committed

    case_event_committed.connect(on_case_event, dispatch_uid="notifications.case_event")
    case_overdue.connect(on_overdue, dispatch_uid="notifications.case_overdue")
    tick_done.connect(on_tick, dispatch_uid="notifications.tick")
