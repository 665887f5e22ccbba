"""The delivery worker: POST each due delivery, signed, retried with exponential backoff.

``deliver_due`` is called by ``civicgrid deliver-webhooks`` and after every ``civicgrid tick``.
A pass claims a batch of due deliveries in one short transaction (two workers never send the
same one at once) and sends them outside any transaction, over one keep-alive connection
per receiver, each with a short timeout. A 2xx answer marks it sent; any
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
from django.db import transaction
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


class Connections:
    """Keep-alive connections for one worker pass, one per origin (scheme, host, port)."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.open: dict[tuple[str, str, int | None], http.client.HTTPConnection] = {}

    def get(self, scheme: str, host: str, port: int | None, *, fresh: bool = False
            ) -> http.client.HTTPConnection:
        key = (scheme, host, port)
        if fresh and key in self.open:
            self.open.pop(key).close()
        if key not in self.open:
            conn_class = (http.client.HTTPSConnection if scheme == "https"
                          else http.client.HTTPConnection)
            self.open[key] = conn_class(host, port, timeout=self.timeout)
        return self.open[key]

    def drop(self, scheme: str, host: str, port: int | None) -> None:
        conn = self.open.pop((scheme, host, port), None)
        if conn is not None:
            conn.close()

    def close(self) -> None:
        for conn in self.open.values():
            conn.close()
        self.open.clear()


def _exchange(connections: Connections, url: str, body: bytes, headers: dict[str, str]
              ) -> tuple[int, str | None]:
    parts = urlsplit(url)
    host = parts.hostname or ""
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    for attempt in (0, 1):
        reused = (parts.scheme, host, parts.port) in connections.open
        conn = connections.get(parts.scheme, host, parts.port)
        try:
            conn.request("POST", path, body=body, headers=headers)
            response = conn.getresponse()
            response.read(65536)  # a receiver's answer is not ours to keep; bounded
        except (OSError, http.client.HTTPException):
            connections.drop(parts.scheme, host, parts.port)
            if reused and attempt == 0:
                continue  # the receiver closed an idle keep-alive connection: once more, fresh
            raise
        if response.will_close or not response.isclosed():
            connections.drop(parts.scheme, host, parts.port)
        return response.status, response.getheader("Location")
    raise http.client.HTTPException("unreachable")


def post(url: str, body: bytes, headers: dict[str, str], *, timeout: float,
         connections: Connections | None = None) -> Outcome:
    """One signed POST; 307/308 to the same origin are followed, other redirects are not."""
    own = connections is None
    connections = connections or Connections(timeout)
    origin = urlsplit(url)
    try:
        for _hop in range(MAX_REDIRECTS + 1):
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                return Outcome(None, f"not an http(s) URL: {url[:200]}")
            try:
                status, location = _exchange(connections, url, body, headers)
            except (OSError, http.client.HTTPException) as exc:
                return Outcome(None, f"{type(exc).__name__}: {exc}"[:1000])
            if status in (307, 308) and location:
                target = urlsplit(urljoin(url, location))
                if (target.scheme, target.hostname, target.port) != (
                        origin.scheme, origin.hostname, origin.port):
                    return Outcome(status,
                                   f"redirect to another host not followed: {location[:200]}")
                url = target.geturl()
                continue
            if 300 <= status < 400:
                return Outcome(status, f"redirect not followed: {(location or '')[:200]}")
            return Outcome(status, "" if 200 <= status < 300 else f"HTTP {status}")
        return Outcome(None, "too many redirects")
    finally:
        if own:
            connections.close()


def send(delivery: Delivery, subscriber: Subscriber,
         connections: Connections | None = None) -> Outcome:
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
    return post(subscriber.url, body, headers, timeout=_setting("WEBHOOK_TIMEOUT_SECONDS", 5),
                connections=connections)


def _claim(now: dt.datetime, limit: int) -> list[Delivery]:
    """Take up to ``limit`` due deliveries for this worker in one short transaction.

    PostgreSQL skips rows another worker has locked; SQLite's write lock (BEGIN IMMEDIATE)
    serialises the whole claim. A claimed row is due again only ``CLAIM_SECONDS`` later.
    """
    due = (Delivery.objects.filter(status__in=[DeliveryStatus.PENDING, DeliveryStatus.FAILED],
                                   next_attempt_at__lte=now, subscriber__active=True)
           .order_by("next_attempt_at", "id"))
    with transaction.atomic():
        rows = list(due.select_for_update(skip_locked=True, of=("self",))[:limit])
        if rows:
            Delivery.objects.filter(pk__in=[d.pk for d in rows]).update(
                attempts=F("attempts") + 1,
                next_attempt_at=now + dt.timedelta(seconds=CLAIM_SECONDS))
    subscribers = {s.pk: s for s in Subscriber.objects.filter(
        pk__in={d.subscriber_id for d in rows})}
    for delivery in rows:
        delivery.subscriber = subscribers[delivery.subscriber_id]
    return rows


def deliver_due(*, now: dt.datetime | None = None, limit: int = 200) -> DeliveryReport:
    """Send the deliveries whose time has come, to active subscribers, oldest first.

    One pass claims a batch, sends it over keep-alive connections (one per receiver) and
    records the successes with one update per answer status.
    """
    now = now or timezone.now()
    report = DeliveryReport()
    rows = _claim(now, limit)
    if not rows:
        return report
    sent: dict[int, list[int]] = {}
    succeeded: set[int] = set()
    connections = Connections(_setting("WEBHOOK_TIMEOUT_SECONDS", 5))
    try:
        for delivery in rows:
            try:
                outcome = send(delivery, delivery.subscriber, connections)
                if outcome.ok:
                    sent.setdefault(outcome.status or 200, []).append(delivery.pk)
                    succeeded.add(delivery.subscriber_id)
                    report.sent += 1
                else:
                    _failed(delivery, outcome, report)
            except Exception:  # a broken row never stops the others
                logger.exception("webhook delivery %s could not be processed", delivery.pk)
    finally:
        connections.close()
    done_at = timezone.now()
    for status, ids in sent.items():
        Delivery.objects.filter(pk__in=ids).update(
            status=DeliveryStatus.SENT, sent_at=done_at, last_status_code=status, last_error="")
    if succeeded:
        Subscriber.objects.filter(pk__in=succeeded).update(failing_since=None,
                                                           last_success_at=done_at)
    return report


def _failed(delivery: Delivery, outcome: Outcome, report: DeliveryReport) -> None:
    attempts = delivery.attempts + 1
    subscriber = delivery.subscriber
    done_at = timezone.now()
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
