"""Two workers never send the same delivery at the same time, however slow the receiver.

A worker used to claim its whole batch for a fixed 120 s and record the successes only at the
end, so a batch slower than that (200 × a 5 s timeout) was claimed again — and sent again — by
a second worker (another ``deliver-webhooks``, or ``civicgrid tick``) while still in progress.
Now each claim carries the worker's token and a lease the worker keeps renewing while it
works; results are recorded only while the row still carries the token; a lease left to
expire (a crashed worker) is taken over.

Real database (committed, so the worker threads see it), real worker passes, real loopback
receiver that counts what it gets by ``X-Civicgrid-Delivery``.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import Counter

import pytest
from django.db import connection
from django.utils import timezone

from civicgrid.areas.models import Area
from civicgrid.webhooks import delivery as worker
from civicgrid.webhooks import services
from civicgrid.webhooks.models import Delivery, DeliveryStatus, Event

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("demo_city")]

OPEN = [DeliveryStatus.PENDING, DeliveryStatus.FAILED]
LEASE = 1  # seconds


@pytest.fixture(autouse=True)
def short_lease(settings):  # type: ignore[no-untyped-def]
    settings.WEBHOOK_LEASE_SECONDS = LEASE


def queue(receiver, count: int) -> None:  # type: ignore[no-untyped-def]
    _subscriber, receiver.secret = services.create_subscriber(
        actor=None, name="12345 热线系统", url=receiver.url, events=[e.value for e in Event],
        area=Area.objects.get(code="640202"))
    for i in range(count):
        services.enqueue(event=Event.CASE_CREATED, event_id=f"ce-lease-{i}",
                         payload={"id": f"ce-lease-{i}"}, area_code="640202001001001")


def posts_per_delivery(receiver) -> Counter[str]:  # type: ignore[no-untyped-def]
    return Counter(r.headers["X-Civicgrid-Delivery"] for r in receiver.received)


def test_two_workers_and_a_slow_receiver_send_each_delivery_once(receiver) -> None:  # type: ignore[no-untyped-def]
    queue(receiver, 8)
    receiver.delay = 0.3  # one batch of 8 takes ~2.4 s: more than twice the lease
    errors: list[BaseException] = []

    def run() -> None:
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and Delivery.objects.filter(
                    status__in=OPEN).exists():
                worker.deliver_due()
                time.sleep(0.05)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, daemon=True) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(40)
    assert not errors
    expected = {str(u) for u in Delivery.objects.values_list("uuid", flat=True)}
    counts = posts_per_delivery(receiver)
    assert set(counts) == expected
    assert {u: n for u, n in counts.items() if n != 1} == {}  # each POSTed exactly once
    assert all(r.signature_ok for r in receiver.received)
    rows = list(Delivery.objects.values_list("status", "attempts", "claim_token"))
    assert rows == [(DeliveryStatus.SENT, 1, None)] * 8


def test_an_abandoned_claim_is_taken_over_when_its_lease_runs_out(receiver) -> None:  # type: ignore[no-untyped-def]
    queue(receiver, 3)
    now = timezone.now()
    crashed = worker._claim(now, 200)  # a worker claims a batch, then dies without sending
    assert len(crashed) == 3
    assert worker.deliver_due(now=now).sent == 0  # its lease still holds
    assert receiver.received == []
    after = now + dt.timedelta(seconds=LEASE + 1)
    assert worker.deliver_due(now=after).sent == 3  # expired: reclaimed and sent
    assert worker.deliver_due(now=after + dt.timedelta(hours=1)).sent == 0
    counts = posts_per_delivery(receiver)
    assert sorted(counts.values()) == [1, 1, 1]
    assert set(counts) == {str(d.uuid) for d in crashed}
    # the dead worker made no attempt: only the POST that happened is counted
    assert list(Delivery.objects.values_list("status", "attempts")) == [
        (DeliveryStatus.SENT, 1)] * 3
