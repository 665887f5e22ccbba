"""The case timeline is the webhook outbox: the worker reads it, sends, and records.

A case action writes nothing for webhooks: its timeline entry (``cases.CaseEvent``,
append-only, ids from a sequence) is already the durable record of what happened. A worker
pass (``send_new``)

1. takes the one ``Cursor`` for a lease (``WEBHOOK_LEASE_SECONDS``; another worker's pass
   finds it taken and only does retries), renewed while it sends;
2. reads the entries above the watermark (``WEBHOOK_BATCH`` at most, in id order, each with
   its case's current row) and those in the remembered gaps — ids below the watermark not
   seen yet: on PostgreSQL a sequence hands out ids before commit, so id 10 can commit after
   id 11; a rolled-back id never appears and its gap is given up after
   ``WEBHOOK_GAP_SECONDS`` (600 s), longer than any case transaction;
3. makes a delivery of each entry that is a webhook event for each subscriber that wants it
   (event, area, created before it; an inactive one only for entries from before it was
   switched off: those wait for it) — one body per entry, signed per subscriber, with the
   stable delivery id ``uuid5(subscriber, event id)``;
4. POSTs them over keep-alive connections (once a receiver fails in the pass, its other
   deliveries are not tried in this pass but queued for the retry pass);
5. in one transaction, writes all the deliveries with their results (one COPY on PostgreSQL;
   failures get their next attempt, and the retry pass in ``delivery`` takes them from
   there), the new watermark and gaps, and releases the cursor.

A pass that dies before step 5 has moved nothing: once its lease runs out the next pass reads
the same entries and sends them again with the same delivery ids (at least once; receivers
drop a repeated ``X-Civicgrid-Delivery``). A pass that lost its lease (it sent for longer
than the lease) records what it sent but leaves the cursor to the pass that took it over.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import uuid
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from civicgrid.cases.imports.loader import Table
from civicgrid.cases.models import CaseEvent
from civicgrid.core.idruns import missing_runs
from civicgrid.webhooks import events, transport
from civicgrid.webhooks.models import Cursor, Delivery, DeliveryStatus, Subscriber
from civicgrid.webhooks.results import DeliveryReport, after_failure, backoff

logger = logging.getLogger("civicgrid.webhooks")

NAME = "cases"
ENTRY_COLUMNS = ("id", "at", "action", "from_state", "to_state",
                 *(f"case__{c}" for c in events.SUMMARY_COLUMNS))
CASE_START = 5  # where the case's columns begin in a row of ENTRY_COLUMNS
AREA = CASE_START + events.SUMMARY_COLUMNS.index("area_code")


@dataclass
class Prepared:
    """One timeline entry for one subscriber, ready to send."""

    subscriber: Subscriber
    at: dt.datetime  # when the entry was written
    event: str
    event_id: str
    content: bytes


def _cursor() -> Cursor:
    cursor, _ = Cursor.objects.get_or_create(name=NAME)
    return cursor


def _take(now: dt.datetime, token: uuid.UUID, lease: dt.timedelta) -> Cursor | None:
    """The cursor for this pass, or None while another pass holds it."""
    pk = _cursor().pk
    free = Q(claim_token__isnull=True) | Q(claimed_until__isnull=True) | Q(claimed_until__lte=now)
    if not Cursor.objects.filter(free, pk=pk).update(claim_token=token, claimed_until=now + lease):
        return None
    return Cursor.objects.get(pk=pk)


def _subscribers() -> list[Subscriber]:
    """Who may get something: active, or switched off with entries from before still to read.
    A row that makes no sense (events not a list) is logged and left out."""
    found = []
    for s in (Subscriber.objects.filter(Q(active=True) | Q(paused_at__isnull=False))
              .select_related("area").only("pk", "name", "url", "secret", "events", "active",
                                           "paused_at", "created_at", "area__code")):
        if isinstance(s.events, list) and all(isinstance(e, str) for e in s.events):
            found.append(s)
        else:
            logger.error("webhook subscriber %s (%s): its events are not a list; skipped",
                         s.pk, s.name)
    return found


def _read(cursor: Cursor, batch: int, horizon: float) -> tuple[list[tuple[Any, ...]], int,
                                                                 list[list[float]], bool]:
    """(entries, new watermark, new gaps, more) for this pass."""
    gaps = [list(g) for g in cursor.gaps]
    rows: list[tuple[Any, ...]] = []
    if gaps:
        in_gaps = Q()
        for low, high, _noticed in gaps:
            in_gaps |= Q(id__gte=int(low), id__lte=int(high))
        rows += CaseEvent.objects.filter(in_gaps).order_by("id").values_list(*ENTRY_COLUMNS)
    fresh = list(CaseEvent.objects.filter(id__gt=cursor.watermark).order_by("id")
                 .values_list(*ENTRY_COLUMNS)[:batch])
    rows += fresh
    seen = sorted(r[0] for r in rows)
    now = time.time()
    new_gaps: list[list[float]] = []
    for low, high, noticed in gaps:
        if now - noticed <= horizon:
            new_gaps += [[a, b, noticed] for a, b in missing_runs(int(low), int(high), seen)]
    watermark = fresh[-1][0] if fresh else cursor.watermark
    new_gaps += [[a, b, now] for a, b in missing_runs(cursor.watermark + 1, watermark, seen)]
    return rows, watermark, new_gaps, len(fresh) >= batch


def _prepare(rows: list[tuple[Any, ...]], subscribers: list[Subscriber]) -> list[Prepared]:
    out: list[Prepared] = []
    for row in rows:
        entry_id, at, action, from_state, to_state = row[:CASE_START]
        name = events.name_of(action, from_state, to_state)
        if name is None:
            continue
        area = row[AREA]
        wanted = [s for s in subscribers
                  if name in s.events and area.startswith(s.area.code) and s.created_at <= at
                  and (s.active or (s.paused_at is not None and at < s.paused_at))]
        if not wanted:
            continue
        payload = events.for_timeline(name=name, entry_id=entry_id, at=at, action=action,
                                      from_state=from_state, to_state=to_state,
                                      case=events.summary(row[CASE_START:]))
        content = transport.body(payload)
        out += [Prepared(s, at, name, payload["id"], content) for s in wanted]
    return out


@dataclass
class Record:
    """A delivery row to write (the columns of ``RECORD_COLUMNS``, the payload apart)."""

    subscriber_id: int
    uuid: uuid.UUID
    event_id: str
    event: str
    next_attempt_at: dt.datetime
    created_at: dt.datetime
    status: str = DeliveryStatus.PENDING
    attempts: int = 0
    last_status_code: int | None = None
    last_error: str = ""
    sent_at: dt.datetime | None = None


class LeaseLost(Exception):
    """Another pass took the cursor over (this one sent for longer than the lease)."""


def _send(prepared: list[Prepared], now: dt.datetime, renew: Any) -> list[Record]:
    """POST the deliveries of active subscribers; each becomes a delivery row with the
    result. ``renew(at)`` keeps the lease (raises ``LeaseLost``): rows sent so far are kept
    in the exception's ``args[0]``."""
    rows: list[Record] = []
    down: dict[int, str] = {}  # receivers that failed in this pass: the error
    connections = transport.Connections()
    started = time.monotonic()
    try:
        for p in prepared:
            at = now + dt.timedelta(seconds=time.monotonic() - started)
            try:
                renew(at)
            except LeaseLost as exc:
                exc.args = (rows,)
                raise
            s = p.subscriber
            row = Record(s.pk, transport.delivery_id(s.pk, p.event_id), p.event_id, p.event,
                         next_attempt_at=at, created_at=at)
            if not s.active:  # switched off after this entry: it waits (due since then)
                row.next_attempt_at = p.at
                rows.append(row)
                continue
            if s.pk in down:  # not tried again in this pass: the retry pass takes it
                row.last_error = f"not tried: the receiver failed just before ({down[s.pk]})"
                row.next_attempt_at = at + backoff(1)
                rows.append(row)
                continue
            outcome = transport.send(url=s.url, secret=s.signing_secret, event=p.event,
                                     delivery=row.uuid, content=p.content,
                                     connections=connections)
            row.attempts, row.last_status_code = 1, outcome.status
            if outcome.ok:
                row.status, row.sent_at = DeliveryStatus.SENT, at
            else:
                row.status, row.next_attempt_at = after_failure(1, at)
                row.last_error = outcome.error
                down[s.pk] = outcome.error[:200]
                logger.warning("webhook %s to %s failed (attempt 1): %s", p.event_id, s.name,
                               outcome.error)
            rows.append(row)
    finally:
        connections.close()
    return rows


RECORD_COLUMNS = ("subscriber_id", "uuid", "event_id", "event", "payload", "status", "attempts",
                  "next_attempt_at", "last_status_code", "last_error", "sent_at", "created_at")


def _insert(rows: list[Record], bodies: dict[str, str], now: dt.datetime) -> None:
    """Write these new delivery rows in one go: PostgreSQL's binary COPY, SQLite's
    executemany (``cases.imports.loader.Table``: values as the fields would send them, without
    a per-row trip through the ORM), the payload as the JSON text already made for the POST
    (``bodies`` by event id). COPY knows no ON CONFLICT: when a row is there already (a pass
    that lost the cursor recorded what it had sent), the batch is written again with
    ``INSERT … ON CONFLICT DO NOTHING``, leaving the rows already there as they are."""
    if not rows:
        return
    native_uuid = connection.features.has_native_uuid_field
    values = [(r.subscriber_id, r.uuid if native_uuid else r.uuid.hex, r.event_id, r.event,
               bodies[r.event_id], r.status, r.attempts, r.next_attempt_at, r.last_status_code,
               r.last_error, r.sent_at, r.created_at) for r in rows]
    try:
        with transaction.atomic():  # a savepoint, so that the fallback can follow
            Table(Delivery, RECORD_COLUMNS, now).write(values)
    except (IntegrityError, connection.Database.IntegrityError):  # COPY: psycopg's own error
        _insert_ignoring(values)


def _insert_ignoring(values: list[tuple[Any, ...]]) -> None:
    """``INSERT … VALUES (…), (…) ON CONFLICT DO NOTHING`` of rows made by ``_insert``."""
    ops = connection.ops
    adapt = ops.adapt_datetimefield_value
    times = [RECORD_COLUMNS.index(c) for c in ("next_attempt_at", "sent_at", "created_at")]
    params: list[Any] = []
    for row in values:
        params += [adapt(v) if i in times else v for i, v in enumerate(row)]
    one = "(" + ", ".join(["%s"] * len(RECORD_COLUMNS)) + ")"
    sql = (f"INSERT INTO {ops.quote_name(Delivery._meta.db_table)} "  # noqa: S608 - names from the model
           f"({', '.join(ops.quote_name(c) for c in RECORD_COLUMNS)}) "
           f"VALUES {', '.join([one] * len(values))} ON CONFLICT DO NOTHING")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _record(rows: list[Record], report: DeliveryReport, bodies: dict[str, str]) -> None:
    """Write the deliveries and each subscriber's success or failing mark."""
    done_at = timezone.now()
    _insert(rows, bodies, done_at)
    succeeded = {r.subscriber_id for r in rows if r.status == DeliveryStatus.SENT}
    dead = {r.subscriber_id for r in rows if r.status == DeliveryStatus.DEAD}
    for r in rows:
        if r.status == DeliveryStatus.SENT:
            report.sent += 1
        elif r.status == DeliveryStatus.DEAD:
            report.dead += 1
        elif r.attempts:
            report.retried += 1
    for subscriber_id in succeeded:
        Subscriber.objects.filter(pk=subscriber_id).update(failing_since=None,
                                                           last_success_at=done_at)
    if dead:
        Subscriber.objects.filter(pk__in=dead, failing_since__isnull=True).update(
            failing_since=done_at)


def send_new(*, now: dt.datetime | None = None, batch: int | None = None) -> DeliveryReport:
    """One pass over the timeline (see the module text)."""
    now = now or timezone.now()
    batch = batch or int(transport.setting("WEBHOOK_BATCH", 500))
    horizon = transport.setting("WEBHOOK_GAP_SECONDS", 600)
    lease = dt.timedelta(seconds=transport.setting("WEBHOOK_LEASE_SECONDS", 120))
    report = DeliveryReport()
    token = uuid.uuid4()
    cursor = _take(now, token, lease)
    if cursor is None:
        return report
    mine = Cursor.objects.filter(pk=cursor.pk, claim_token=token)
    recorded = False
    try:
        # one switched off longer ago than anything still unread is nobody to read for
        since = cursor.moved_at - dt.timedelta(seconds=horizon) if cursor.moved_at else None
        subscribers = [s for s in _subscribers()
                       if s.active or since is None or (s.paused_at and s.paused_at > since)]
        if not subscribers:  # nobody to tell: move on to the newest entry without reading
            newest = CaseEvent.objects.order_by("-id").values_list("id", flat=True).first()
            mine.update(watermark=max(newest or 0, cursor.watermark), gaps=[],
                        claim_token=None, claimed_until=None, moved_at=now)
            recorded = True
            return report
        rows, watermark, gaps, report.more = _read(cursor, batch, horizon)
        renewed_at = now

        def renew(at: dt.datetime) -> None:
            nonlocal renewed_at
            if at - renewed_at >= lease / 3:
                if not mine.update(claimed_until=at + lease):
                    raise LeaseLost
                renewed_at = at

        try:
            prepared = _prepare(rows, subscribers)
            bodies = {p.event_id: p.content.decode() for p in prepared}
            deliveries = _send(prepared, now, renew)
        except LeaseLost as lost:
            logger.warning("webhook worker: the timeline cursor was taken over while sending; "
                           "the other pass goes on from the same entries")
            with transaction.atomic():
                _record(lost.args[0] if lost.args else [], report, bodies)
            report.more = True
            return report
        with transaction.atomic():
            _record(deliveries, report, bodies)
            recorded = bool(mine.update(watermark=watermark, gaps=gaps, claim_token=None,
                                        claimed_until=None, moved_at=timezone.now()))
        return report
    finally:
        if not recorded:  # this pass failed or lost the cursor: let the next one redo it
            mine.update(claim_token=None, claimed_until=None)


def start_at_newest_if_idle(*, now: dt.datetime) -> None:
    """With nobody subscribed, no entry so far is for anyone: move the cursor to the newest
    one, as a pass would (``create_subscriber`` calls this first, so that a new subscriber's
    first pass does not read a history loaded before — a demo city, an import — for nobody).
    Left alone while a pass holds the cursor."""
    if Subscriber.objects.filter(Q(active=True) | Q(paused_at__isnull=False)).exists():
        return
    newest = CaseEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    Cursor.objects.filter(pk=_cursor().pk, claim_token__isnull=True, watermark__lt=newest
                          ).update(watermark=newest, gaps=[], moved_at=now)


def backlog() -> int:
    """Timeline entries committed but not read by a pass yet (above the watermark or in a gap)."""
    cursor = _cursor()
    waiting = Q(id__gt=cursor.watermark)
    for low, high, _noticed in cursor.gaps:
        waiting |= Q(id__gte=int(low), id__lte=int(high))
    return CaseEvent.objects.filter(waiting).count()
