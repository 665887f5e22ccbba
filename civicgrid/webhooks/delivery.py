"""The delivery worker: new case events from the timeline, then the retries.

``deliver_due`` is called by ``civicgrid deliver-webhooks`` and after every ``civicgrid tick``.
It first reads the new timeline entries and sends them (``outbox.send_new``: written as
delivery rows with their results, in bulk), then sends the queued rows whose time has come —
retries of failed ones, deadline-passed events, what an admin put back in the queue.

The retry pass claims a batch of due rows in one short transaction, marking them with its
token and a lease (``WEBHOOK_LEASE_SECONDS``) that it renews whenever a third of it has gone
by, so two workers never send the same one at once however long the batch takes; a crashed
worker's lease runs out and its rows are taken over. It sends them outside any transaction
over keep-alive connections (``transport``) and records the answers (only while it still holds
the rows; successes in groups). A 2xx answer marks a delivery sent; any other answer, a timeout
or a refused connection reschedules it (``WEBHOOK_RETRY_BASE_SECONDS`` × 2^(attempt−1), at
most 6 h) until ``WEBHOOK_MAX_ATTEMPTS``, then it is dead and the subscriber is marked failing
(cleared by its next success).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import uuid

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from civicgrid.webhooks import outbox, transport
from civicgrid.webhooks.models import Delivery, DeliveryStatus, Subscriber
from civicgrid.webhooks.results import DeliveryReport, after_failure, backoff
from civicgrid.webhooks.transport import Outcome

logger = logging.getLogger("civicgrid.webhooks")

__all__ = ["DeliveryReport", "backoff", "deliver_due", "failing_subscribers", "send"]

OPEN = [DeliveryStatus.PENDING, DeliveryStatus.FAILED]


def send(delivery: Delivery, subscriber: Subscriber,
         connections: transport.Connections | None = None) -> Outcome:
    """POST a stored delivery (its payload, signed now)."""
    return transport.send(url=subscriber.url, secret=subscriber.signing_secret, event=delivery.event,
                          delivery=delivery.uuid, payload=delivery.payload,
                          connections=connections)


def _lease() -> dt.timedelta:
    return dt.timedelta(seconds=transport.setting("WEBHOOK_LEASE_SECONDS", 120))


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
    due = (Delivery.objects.filter(status__in=OPEN, next_attempt_at__lte=now,
                                   subscriber__active=True)
           .filter(_unclaimed(now)).order_by("next_attempt_at", "id"))
    token = uuid.uuid4()
    with transaction.atomic():
        ids = [d.pk for d in due.select_for_update(skip_locked=True, of=("self",))
               .only("pk")[:limit]]
        if ids:
            Delivery.objects.filter(pk__in=ids, status__in=OPEN).filter(_unclaimed(now)).update(
                claim_token=token, claimed_until=now + _lease())
    if not ids:
        return []
    return list(Delivery.objects.filter(pk__in=ids, claim_token=token)
                .select_related("subscriber").order_by("next_attempt_at", "id"))


RECORD_EVERY = 50  # successes written in one statement: a crash re-sends at most these


def deliver_due(*, now: dt.datetime | None = None, limit: int = 200) -> DeliveryReport:
    """New timeline events first (``outbox.send_new``), then the due queued deliveries."""
    now = now or timezone.now()
    report = DeliveryReport()
    try:
        report.add(outbox.send_new(now=now))
    except Exception:  # the retries still go out; the timeline pass is tried again next time
        logger.exception("webhook worker: the pass over new case events failed")
    retries = retry_due(now=now, limit=limit)
    retries.more = retries.sent + retries.retried + retries.dead >= limit
    report.add(retries)
    return report


def retry_due(*, now: dt.datetime, limit: int = 200) -> DeliveryReport:
    """Send the queued deliveries whose time has come, to active subscribers, oldest first.

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
    started = time.monotonic()

    def clock() -> dt.datetime:  # ``now`` moving on as the pass proceeds
        return now + dt.timedelta(seconds=time.monotonic() - started)

    report = DeliveryReport()
    rows = _claim(now, limit)
    if not rows:
        return report
    token, lease = rows[0].claim_token, _lease()
    mine = Delivery.objects.filter(pk__in=[d.pk for d in rows], claim_token=token)
    held, held_all, renewed_at = len(rows), True, now
    done: list[tuple[Delivery, Outcome]] = []
    succeeded: dict[int, dt.datetime] = {}
    connections = transport.Connections()
    try:
        for delivery in rows:
            try:
                at = clock()
                if at - renewed_at >= lease / 3:
                    renewed = mine.filter(claimed_until__gt=at).update(claimed_until=at + lease)
                    held_all, held, renewed_at = held_all and renewed == held, renewed, at
                if not held_all and not mine.filter(pk=delivery.pk, claimed_until__gt=at,
                                                    status__in=OPEN).exists():
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
    status, next_at = after_failure(attempts, timezone.now())
    if not _record(delivery, token, status=status, last_status_code=outcome.status,
                   last_error=outcome.error, next_attempt_at=next_at):
        return
    if status == DeliveryStatus.DEAD:
        Subscriber.objects.filter(pk=subscriber.pk, failing_since__isnull=True).update(
            failing_since=next_at)
        report.dead += 1
        logger.error("webhook delivery %s to %s is dead after %s attempts: %s", delivery.pk,
                     subscriber.name, attempts, outcome.error)
        return
    report.retried += 1
    logger.warning("webhook delivery %s to %s failed (attempt %s): %s", delivery.pk,
                   subscriber.name, attempts, outcome.error)


def failing_subscribers() -> Q:
    """Subscribers an operator should look at: marked failing, or with a dead delivery."""
    return Q(failing_since__isnull=False) | Q(deliveries__status=DeliveryStatus.DEAD)
