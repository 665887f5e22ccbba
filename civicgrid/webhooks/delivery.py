"""The delivery worker: POST each due delivery, signed, retried with exponential backoff.

``deliver_due`` is called by ``civicgrid deliver-webhooks`` and after every ``civicgrid tick``.
Each delivery is claimed by a conditional update (two workers never send the same one at
once) and sent outside any transaction with a short timeout. A 2xx answer marks it sent; any
other answer, a timeout or a refused connection reschedules it (``WEBHOOK_RETRY_BASE_SECONDS``
× 2^(attempt−1), at most 6 h) until ``WEBHOOK_MAX_ATTEMPTS``, then it is dead and the
subscriber is marked failing (cleared by its next success). Redirects are followed only to
the same scheme, host and port (307/308, which keep the POST), at most twice.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import logging
import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from civicgrid.webhooks import signing
from civicgrid.webhooks.models import Delivery, DeliveryStatus, Subscriber

logger = logging.getLogger("civicgrid.webhooks")

CLAIM_SECONDS = 120  # a crashed worker's claim expires and the delivery is tried again
MAX_REDIRECTS = 2
USER_AGENT = "civicgrid-webhooks/1"


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    dead: int = 0


@dataclass
class Outcome:
    status: int | None
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def _setting(name: str, default: int | float) -> float:
    return float(getattr(settings, name, default))


def backoff(attempts: int) -> dt.timedelta:
    base = _setting("WEBHOOK_RETRY_BASE_SECONDS", 30)
    return dt.timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), 6 * 3600))


def body_of(delivery: Delivery) -> bytes:
    return json.dumps(delivery.payload, ensure_ascii=False, separators=(",", ":"),
                      sort_keys=True).encode()


def post(url: str, body: bytes, headers: dict[str, str], *, timeout: float) -> Outcome:
    """One signed POST; 307/308 to the same origin are followed, other redirects are not."""
    origin = urlsplit(url)
    for _hop in range(MAX_REDIRECTS + 1):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return Outcome(None, f"not an http(s) URL: {url[:200]}")
        conn_class = (http.client.HTTPSConnection if parts.scheme == "https"
                      else http.client.HTTPConnection)
        conn = conn_class(parts.hostname, parts.port, timeout=timeout)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        try:
            conn.request("POST", path, body=body, headers=headers)
            response = conn.getresponse()
            response.read(65536)  # a receiver's answer is not ours to keep; bounded
            status, location = response.status, response.getheader("Location")
        except (OSError, http.client.HTTPException) as exc:
            return Outcome(None, f"{type(exc).__name__}: {exc}"[:1000])
        finally:
            conn.close()
        if status in (307, 308) and location:
            target = urlsplit(urljoin(url, location))
            if (target.scheme, target.hostname, target.port) != (
                    origin.scheme, origin.hostname, origin.port):
                return Outcome(status, f"redirect to another host not followed: {location[:200]}")
            url = target.geturl()
            continue
        if 300 <= status < 400:
            return Outcome(status, f"redirect not followed: {(location or '')[:200]}")
        return Outcome(status, "" if 200 <= status < 300 else f"HTTP {status}")
    return Outcome(None, "too many redirects")


def send(delivery: Delivery, subscriber: Subscriber) -> Outcome:
    body = body_of(delivery)
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        "X-Civicgrid-Event": delivery.event,
        "X-Civicgrid-Delivery": str(delivery.uuid),
        "X-Civicgrid-Timestamp": str(timestamp),
        "X-Civicgrid-Signature": signing.signature(subscriber.secret, timestamp, body),
    }
    return post(subscriber.url, body, headers,
                timeout=_setting("WEBHOOK_TIMEOUT_SECONDS", 5))


def deliver_due(*, now: dt.datetime | None = None, limit: int = 200) -> DeliveryReport:
    """Send the deliveries whose time has come, to active subscribers, oldest first."""
    now = now or timezone.now()
    due = (Delivery.objects.filter(status__in=[DeliveryStatus.PENDING, DeliveryStatus.FAILED],
                                   next_attempt_at__lte=now, subscriber__active=True)
           .select_related("subscriber").order_by("next_attempt_at", "id"))
    report = DeliveryReport()
    for delivery in list(due[:limit]):
        try:
            _deliver_one(delivery, now, report)
        except Exception:  # a broken row never stops the others
            logger.exception("webhook delivery %s could not be processed", delivery.pk)
    return report


def _deliver_one(delivery: Delivery, now: dt.datetime, report: DeliveryReport) -> None:
    claimed = Delivery.objects.filter(
        pk=delivery.pk, status=delivery.status, next_attempt_at=delivery.next_attempt_at,
    ).update(attempts=F("attempts") + 1,
             next_attempt_at=now + dt.timedelta(seconds=CLAIM_SECONDS))
    if not claimed:
        return  # another worker has it
    attempts = delivery.attempts + 1
    subscriber = delivery.subscriber
    outcome = send(delivery, subscriber)
    done_at = timezone.now()
    if outcome.ok:
        Delivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.SENT, sent_at=done_at, last_status_code=outcome.status,
            last_error="")
        Subscriber.objects.filter(pk=subscriber.pk).update(failing_since=None,
                                                           last_success_at=done_at)
        report.sent += 1
        return
    if attempts >= int(_setting("WEBHOOK_MAX_ATTEMPTS", 8)):
        Delivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.DEAD, last_status_code=outcome.status,
            last_error=outcome.error)
        Subscriber.objects.filter(pk=subscriber.pk, failing_since__isnull=True).update(
            failing_since=done_at)
        report.dead += 1
        logger.error("webhook delivery %s to %s is dead after %s attempts: %s", delivery.pk,
                     subscriber.name, attempts, outcome.error)
        return
    Delivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.FAILED, last_status_code=outcome.status, last_error=outcome.error,
        next_attempt_at=done_at + backoff(attempts))
    report.retried += 1
    logger.warning("webhook delivery %s to %s failed (attempt %s): %s", delivery.pk,
                   subscriber.name, attempts, outcome.error)


def failing_subscribers() -> Q:
    """Subscribers an operator should look at: marked failing, or with a dead delivery."""
    return Q(failing_since__isnull=False) | Q(deliveries__status=DeliveryStatus.DEAD)
