"""Delivering queued SMS / WeCom messages: retried with backoff, never inside an action.

A worker (``civicgrid tick``) calls ``deliver_due``. Each message is claimed by a
conditional update (two workers never send the same message at once), sent outside any
transaction, and then marked sent, or rescheduled with exponential backoff, or failed for
good after ``NOTIFY_MAX_ATTEMPTS``. A sender that raises only ever affects its message.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from civicgrid.notifications import senders
from civicgrid.notifications.models import OutboundMessage, OutboundStatus

logger = logging.getLogger("civicgrid.notifications")

CLAIM_SECONDS = 300  # a crashed worker's claim expires and the message is tried again


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0


def backoff(attempts: int) -> dt.timedelta:
    base = int(getattr(settings, "NOTIFY_RETRY_BASE_SECONDS", 60))
    return dt.timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), 6 * 3600))


def deliver_due(*, now: dt.datetime | None = None, limit: int = 200,
                keys: Iterable[str] | None = None) -> DeliveryReport:
    """Send the pending messages whose time has come (optionally only those ``keys``)."""
    now = now or timezone.now()
    due = OutboundMessage.objects.filter(status=OutboundStatus.PENDING, next_attempt_at__lte=now)
    if keys is not None:
        due = due.filter(dedupe_key__in=list(keys))
    report = DeliveryReport()
    for message in list(due.order_by("next_attempt_at", "id")[:limit]):
        _deliver_one(message, now, report)
    return report


def _deliver_one(message: OutboundMessage, now: dt.datetime, report: DeliveryReport) -> None:
    claimed = OutboundMessage.objects.filter(
        pk=message.pk, status=OutboundStatus.PENDING, next_attempt_at=message.next_attempt_at,
    ).update(attempts=F("attempts") + 1, next_attempt_at=now + dt.timedelta(seconds=CLAIM_SECONDS))
    if not claimed:
        return  # another worker has it
    attempts = message.attempts + 1
    try:
        sender = senders.sender_for(message.channel)
        if sender is None:
            raise RuntimeError(f"channel {message.channel} is switched off")
        sender.send(recipient=message.recipient, body=message.body)
    except Exception as exc:  # noqa: BLE001 - any sender failure is recorded, never raised
        error = f"{type(exc).__name__}: {exc}"[:2000]
        max_attempts = int(getattr(settings, "NOTIFY_MAX_ATTEMPTS", 6))
        if attempts >= max_attempts:
            OutboundMessage.objects.filter(pk=message.pk).update(
                status=OutboundStatus.FAILED, last_error=error)
            report.failed += 1
            logger.error("outbound message %s failed for good: %s", message.pk, error)
        else:
            OutboundMessage.objects.filter(pk=message.pk).update(
                last_error=error, next_attempt_at=now + backoff(attempts))
            report.retried += 1
            logger.warning("outbound message %s failed (attempt %s): %s", message.pk, attempts,
                           error)
        return
    OutboundMessage.objects.filter(pk=message.pk).update(
        status=OutboundStatus.SENT, sent_at=timezone.now(), last_error="")
    report.sent += 1
