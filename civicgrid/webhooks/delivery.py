"""The delivery worker: POST each due delivery, signed, retried with exponential backoff.

``deliver_due`` is called by ``civicgrid deliver-webhooks`` and after every ``civicgrid tick``.
A pass claims a batch of due deliveries in one short transaction, marking them with its
token and a lease (``WEBHOOK_LEASE_SECONDS``) that it renews before each POST, so two
workers never send the same one at once however long the batch takes; a crashed worker's
lease runs out and its deliveries are taken over. It sends them outside any transaction, over
one keep-alive connection per receiver, each with a short timeout, and records the answers
(only while it still holds the rows; successes in groups). A 2xx answer marks it sent; any
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
import uuid
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from civicgrid.webhooks import signing
from civicgrid.webhooks.models import Delivery, DeliveryStatus, Subscriber

logger = logging.getLogger("civicgrid.webhooks")

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


def _lease() -> dt.timedelta:
    return dt.timedelta(seconds=_setting("WEBHOOK_LEASE_SECONDS", 120))


def _unclaimed(now: dt.datetime) -> Q:
    """Held by no worker, or by one whose lease ran out (it crashed, or hung)."""
    return Q(claim_token__isnull=True) | Q(claimed_until__isnull=True) | Q(claimed_until__lte=now)


def _claim(now: dt.datetime, limit: int) -> list[Delivery]:
    """Take up to ``limit`` due deliveries for this worker pass in one short transaction.

    Each row gets this pass's token and a lease (``WEBHOOK_LEASE_SECONDS``) that the pass
    renews while it works. PostgreSQL skips rows another worker has locked; SQLite's write
    lock (BEGIN IMMEDIATE) serialises the whole claim; on both the UPDATE itself only takes
    rows nobody holds, and the batch is what then carries the token.
    """
    open_statuses = [DeliveryStatus.PENDING, DeliveryStatus.FAILED]
    due = (Delivery.objects.filter(status__in=open_statuses, next_attempt_at__lte=now,
                                   subscriber__active=True)
           .filter(_unclaimed(now)).order_by("next_attempt_at", "id"))
    token = uuid.uuid4()
    with transaction.atomic():
        rows = list(due.select_for_update(skip_locked=True, of=("self",))[:limit])
        if rows:
            Delivery.objects.filter(pk__in=[d.pk for d in rows], status__in=open_statuses
                                    ).filter(_unclaimed(now)).update(
                claim_token=token, claimed_until=now + _lease())
    if not rows:
        return []
    return list(Delivery.objects.filter(claim_token=token).select_related("subscriber")
                .order_by("next_attempt_at", "id"))


RECORD_EVERY = 50  # successes written in one statement: a crash re-sends at most these


def deliver_due(*, now: dt.datetime | None = None, limit: int = 200) -> DeliveryReport:
    """Send the deliveries whose time has come, to active subscribers, oldest first.

    One pass claims a batch and sends it over keep-alive connections (one per receiver). It
    renews the lease of the rows it holds whenever a third of the lease has gone by; as long
    as every renewal finds all its rows, nobody else can have taken one, and it sends without
    asking again. A renewal that finds fewer rows (a POST slower than the lease) makes it check
    each row before its POST and skip those taken over. Successes are written together, every
    ``RECORD_EVERY`` and at the end, each only while the row still carries the pass's token;
    a failure is written at once. The attempt is counted with its result, so a pass that dies
    counts none (its rows are sent again once its lease runs out: receivers must expect a
    delivery id twice, see docs/webhooks.md).
    """
    now = now or timezone.now()
    started = time.monotonic()

    def clock() -> dt.datetime:  # ``now`` moving on as the pass proceeds
        return now + dt.timedelta(seconds=time.monotonic() - started)

    report = DeliveryReport()
    rows = _claim(now, limit)
    if not rows:
        return report
    token, lease = rows[0].claim_token, _lease()
    mine = Delivery.objects.filter(claim_token=token)
    open_statuses = [DeliveryStatus.PENDING, DeliveryStatus.FAILED]
    held, held_all, renewed_at = len(rows), True, now
    done: list[tuple[Delivery, Outcome]] = []
    succeeded: dict[int, dt.datetime] = {}
    connections = Connections(_setting("WEBHOOK_TIMEOUT_SECONDS", 5))
    try:
        for delivery in rows:
            try:
                at = clock()
                if at - renewed_at >= lease / 3:
                    renewed = mine.filter(claimed_until__gt=at).update(claimed_until=at + lease)
                    held_all, held, renewed_at = held_all and renewed == held, renewed, at
                if not held_all and not mine.filter(pk=delivery.pk, claimed_until__gt=at,
                                                    status__in=open_statuses).exists():
                    logger.warning("webhook delivery %s: claim lost before sending, skipped",
                                   delivery.pk)
                    continue
                outcome = send(delivery, delivery.subscriber, connections)
                if outcome.ok:
                    done.append((delivery, outcome))
                    if len(done) >= RECORD_EVERY:
                        held -= _record_sent(done, token, report, succeeded)
                else:
                    delivery.attempts += 1
                    _failed(delivery, token, outcome, report)
                    held -= 1
            except Exception:  # a broken row never stops the others; its lease runs out
                logger.exception("webhook delivery %s could not be processed", delivery.pk)
    finally:
        connections.close()
        _record_sent(done, token, report, succeeded)
        for subscriber_id, done_at in succeeded.items():
            Subscriber.objects.filter(pk=subscriber_id).update(failing_since=None,
                                                               last_success_at=done_at)
    return report


def _record_sent(done: list[tuple[Delivery, Outcome]], token: uuid.UUID | None,
                 report: DeliveryReport, succeeded: dict[int, dt.datetime]) -> int:
    """Mark these successes sent (one statement per answer code), while still held; empties
    ``done`` and says how many rows it released."""
    done_at = timezone.now()
    by_code: dict[int | None, list[int]] = {}
    for delivery, outcome in done:
        by_code.setdefault(outcome.status, []).append(delivery.pk)
    for code, ids in by_code.items():
        recorded = Delivery.objects.filter(pk__in=ids, claim_token=token).update(
            claim_token=None, claimed_until=None, status=DeliveryStatus.SENT, sent_at=done_at,
            last_status_code=code, last_error="", attempts=F("attempts") + 1)
        report.sent += recorded
        if recorded < len(ids):
            logger.warning("webhook deliveries %s: claim lost while sending (slower than "
                           "WEBHOOK_LEASE_SECONDS); %s results not recorded", ids[:20],
                           len(ids) - recorded)
    for delivery, _outcome in done:
        succeeded[delivery.subscriber_id] = done_at
    released = len(done)
    done.clear()
    return released


def _record(delivery: Delivery, token: uuid.UUID | None, **fields: object) -> bool:
    """Write an attempt's result if this pass still holds the row, and release it."""
    if Delivery.objects.filter(pk=delivery.pk, claim_token=token).update(
            claim_token=None, claimed_until=None, attempts=F("attempts") + 1, **fields):
        return True
    logger.warning("webhook delivery %s: claim lost while sending (slower than "
                   "WEBHOOK_LEASE_SECONDS); result not recorded", delivery.pk)
    return False


def _failed(delivery: Delivery, token: uuid.UUID | None, outcome: Outcome,
            report: DeliveryReport) -> None:
    attempts = delivery.attempts
    subscriber = delivery.subscriber
    done_at = timezone.now()
    if attempts >= int(_setting("WEBHOOK_MAX_ATTEMPTS", 8)):
        if not _record(delivery, token, status=DeliveryStatus.DEAD,
                       last_status_code=outcome.status, last_error=outcome.error):
            return
        Subscriber.objects.filter(pk=subscriber.pk, failing_since__isnull=True).update(
            failing_since=done_at)
        report.dead += 1
        logger.error("webhook delivery %s to %s is dead after %s attempts: %s", delivery.pk,
                     subscriber.name, attempts, outcome.error)
        return
    if not _record(delivery, token, status=DeliveryStatus.FAILED,
                   last_status_code=outcome.status, last_error=outcome.error,
                   next_attempt_at=done_at + backoff(attempts)):
        return
    report.retried += 1
    logger.warning("webhook delivery %s to %s failed (attempt %s): %s", delivery.pk,
                   subscriber.name, attempts, outcome.error)


def failing_subscribers() -> Q:
    """Subscribers an operator should look at: marked failing, or with a dead delivery."""
    return Q(failing_since__isnull=False) | Q(deliveries__status=DeliveryStatus.DEAD)
