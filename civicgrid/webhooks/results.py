"""What a worker pass reports, and what follows an unsuccessful attempt (backoff, dead)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from civicgrid.webhooks.models import DeliveryStatus
from civicgrid.webhooks.transport import setting


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    dead: int = 0
    more: bool = False  # a full batch: more is waiting

    def add(self, other: DeliveryReport) -> None:
        self.sent += other.sent
        self.retried += other.retried
        self.dead += other.dead
        self.more = self.more or other.more


def backoff(attempts: int) -> dt.timedelta:
    """``WEBHOOK_RETRY_BASE_SECONDS`` × 2^(attempts − 1), at most 6 hours."""
    base = setting("WEBHOOK_RETRY_BASE_SECONDS", 30)
    return dt.timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), 6 * 3600))


def after_failure(attempts: int, at: dt.datetime) -> tuple[str, dt.datetime]:
    """(status, next attempt) once ``attempts`` attempts have failed: dead after
    ``WEBHOOK_MAX_ATTEMPTS``, otherwise failed and tried again after the backoff."""
    if attempts >= int(setting("WEBHOOK_MAX_ATTEMPTS", 8)):
        return DeliveryStatus.DEAD, at
    return DeliveryStatus.FAILED, at + backoff(attempts)
