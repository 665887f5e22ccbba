"""The timeline is the outbox: no case event is lost when a worker dies or a transaction
commits late, and a repeat carries the same delivery id.

Real database, real worker passes, real loopback receiver. The late commit is made for real on
PostgreSQL (two connections: a sequence hands out ids before commit) and, on both databases,
by writing a timeline entry with a lower id after a higher one was read — what the late
commit looks like to the worker.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid
from collections import Counter

import pytest
from django.db import DatabaseError, connection
from django.utils import timezone

from civicgrid.cases.models import CaseEvent, State
from civicgrid.core.rows import insert
from civicgrid.webhooks import outbox
from civicgrid.webhooks.delivery import deliver_due
from civicgrid.webhooks.models import Cursor, Delivery, DeliveryStatus
from tests.cases.flows import reported
from tests.webhooks.test_delivery import subscribe


def ids_received(receiver) -> Counter[str]:  # type: ignore[no-untyped-def]
    return Counter(r.headers["X-Civicgrid-Delivery"] for r in receiver.received)


def events_received(receiver) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted(r.json["id"] for r in receiver.received)


def test_a_pass_that_fails_before_recording_is_redone_with_the_same_delivery_ids(  # type: ignore[no-untyped-def]
        receiver, cast) -> None:
    subscribe(receiver)
    reported(cast)
    reported(cast)

    def refuse_moving_the_cursor(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        if sql.startswith('UPDATE "webhooks_cursor"') and "watermark" in sql:
            raise DatabaseError("the database went away while recording")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(refuse_moving_the_cursor):
        assert deliver_due().sent == 0  # posted, but nothing recorded: the pass failed
    assert len(receiver.received) == 2 and not Delivery.objects.exists()
    cursor = Cursor.objects.get()
    assert cursor.claim_token is None  # released for the next pass, not moved
    assert deliver_due().sent == 2
    counts = ids_received(receiver)
    assert sorted(counts.values()) == [2, 2]  # each event twice, with the same delivery id
    assert set(counts) == {str(u) for u in Delivery.objects.values_list("uuid", flat=True)}
    assert all(r.signature_ok for r in receiver.received)
    assert deliver_due().sent == 0  # and no more


def test_deliveries_recorded_by_a_pass_that_lost_the_cursor_are_kept_once(  # type: ignore[no-untyped-def]
        receiver, cast) -> None:
    """A pass that lost its lease records what it sent but leaves the cursor where it was; the
    pass that took over sends the same events and records them again: one row each stays."""
    subscribe(receiver)
    before = Cursor.objects.get_or_create(name=outbox.NAME)[0].watermark
    reported(cast)
    reported(cast)
    assert deliver_due().sent == 2
    first = list(Delivery.objects.order_by("event_id").values_list("event_id", "uuid", "status"))
    Cursor.objects.update(watermark=before)  # the cursor as the losing pass left it
    assert deliver_due().sent == 2  # sent again, written again: the rows already there stay
    assert list(Delivery.objects.order_by("event_id").values_list("event_id", "uuid", "status")
                ) == first
    assert sorted(ids_received(receiver).values()) == [2, 2]


def test_a_worker_that_died_holding_the_cursor_is_taken_over_after_its_lease(  # type: ignore[no-untyped-def]
        receiver, cast, settings) -> None:
    settings.WEBHOOK_LEASE_SECONDS = 60
    subscribe(receiver)
    case = reported(cast)
    now = timezone.now()
    assert outbox._take(now, uuid.uuid4(), dt.timedelta(seconds=60)) is not None  # then dies
    assert deliver_due(now=now).sent == 0 and not receiver.received  # its lease holds
    assert deliver_due(now=now + dt.timedelta(seconds=61)).sent == 1
    [got] = receiver.received
    assert got.json["case"]["code"] == case.code and got.signature_ok


def gaps() -> list[list[float]]:
    """The cursor's gaps, without the time noticed (on PostgreSQL earlier tests' rolled-back
    ids are gaps too)."""
    return [g[:2] for g in Cursor.objects.get().gaps]


def test_an_entry_committed_after_a_later_one_is_still_sent(receiver, cast) -> None:  # type: ignore[no-untyped-def]
    subscribe(receiver, events=["case.state_changed"])
    case = reported(cast)
    newest = CaseEvent.objects.order_by("-id").values_list("id", flat=True).first()

    def entry(pk: int) -> CaseEvent:
        return CaseEvent(id=pk, case=case, at=timezone.now(), action="register",
                         from_state=State.REPORTED, to_state=State.REGISTERED)

    insert([entry(newest + 3)])  # ids newest+1 and newest+2 were handed out, not committed
    assert deliver_due().sent == 1
    assert [newest + 1, newest + 2] in gaps()
    insert([entry(newest + 1)])  # one of them commits now
    assert deliver_due().sent == 1
    assert [newest + 2, newest + 2] in gaps() and [newest + 1, newest + 2] not in gaps()
    assert events_received(receiver) == [f"ce-{newest + 1}", f"ce-{newest + 3}"]
    assert deliver_due().sent == 0


def test_a_gap_is_given_up_after_the_horizon(receiver, cast) -> None:  # type: ignore[no-untyped-def]
    subscribe(receiver)
    reported(cast)
    assert deliver_due().sent == 1
    watermark = Cursor.objects.get().watermark
    recent = [watermark + 200, watermark + 201, time.time()]
    Cursor.objects.update(gaps=[[watermark + 100, watermark + 101, 0], recent])  # 0: long ago
    deliver_due()
    assert Cursor.objects.get().gaps == [recent]  # rolled back, as far as anyone can tell


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("demo_city")
@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="SQLite lets one writer in at a time: ids commit in order there")
def test_a_transaction_that_commits_late_loses_no_event(receiver, cast) -> None:  # type: ignore[no-untyped-def]
    from django.db import transaction

    subscribe(receiver, events=["case.created"])
    written, release, done = threading.Event(), threading.Event(), threading.Event()
    late: list[str] = []

    def slow_report() -> None:
        try:
            with transaction.atomic():
                late.append(reported(cast).code)
                written.set()
                release.wait(30)
        finally:
            done.set()
            connection.close()

    thread = threading.Thread(target=slow_report, daemon=True)
    thread.start()
    assert written.wait(30)
    quick = reported(cast)  # a later id, committed first
    assert deliver_due().sent == 1
    assert [r.json["case"]["code"] for r in receiver.received] == [quick.code]
    release.set()
    assert done.wait(30)
    thread.join(10)
    assert deliver_due().sent == 1
    assert [r.json["case"]["code"] for r in receiver.received] == [quick.code, late[0]]
    assert Delivery.objects.filter(status=DeliveryStatus.SENT).count() == 2


def test_the_first_subscriber_starts_after_the_history(receiver, cast) -> None:  # type: ignore[no-untyped-def]
    """Cases loaded before anyone subscribed (a demo city, an import) are for nobody: the first
    subscriber's passes do not read them."""
    Cursor.objects.update_or_create(name=outbox.NAME, defaults={"watermark": 0, "gaps": []})
    before = reported(cast)
    newest = CaseEvent.objects.order_by("-id").values_list("id", flat=True).first()
    subscribe(receiver)
    assert Cursor.objects.get().watermark == newest
    after = reported(cast)
    assert deliver_due().sent == 1
    assert [r.json["case"]["code"] for r in receiver.received] == [after.code]
    assert before.code != after.code
