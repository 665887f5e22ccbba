"""The webhook benchmark must not strand deliveries when it switches its subscribers off.

benchmarks/webhook_bench.py alternates rounds with its subscribers active ("on") and inactive
("off") while the real worker runs. The worker leaves an inactive subscriber's deliveries
waiting (docs/webhooks.md), so switching off while deliveries queued since the worker's last
pass were still waiting left them pending for good after the last "on" round: 108 of 4,870
"still queued" in the benchmark, although the worker and the receiver were fine.

Real database (committed, so a second thread sees it), real worker passes in a thread, real
loopback receiver.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from benchmarks import webhook_bench
from civicgrid.areas.models import Area
from civicgrid.webhooks import services
from civicgrid.webhooks.delivery import deliver_due
from civicgrid.webhooks.models import Delivery, DeliveryStatus, Event, Subscriber

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("demo_city")]

OPEN = [DeliveryStatus.PENDING, DeliveryStatus.FAILED]


class Worker(threading.Thread):
    """``civicgrid deliver-webhooks --every …`` in miniature: a pass, then a pause."""

    def __init__(self, every: float) -> None:
        super().__init__(daemon=True)
        self.every = every
        self.stopping = threading.Event()

    def run(self) -> None:
        try:
            while not self.stopping.wait(self.every):
                deliver_due()
        finally:
            connection.close()

    def stop(self) -> None:
        self.stopping.set()
        self.join(10)


def test_switching_subscribers_off_waits_for_the_queue(receiver) -> None:  # type: ignore[no-untyped-def]
    subscriber, receiver.secret = services.create_subscriber(
        actor=None, name="bench-0", url=receiver.url, events=[e.value for e in Event],
        area=Area.objects.get(code="640202"))
    worker = Worker(every=0.3)
    worker.start()
    try:
        # the end of an "on" round: reports queued since the worker's last pass
        for i in range(20):
            services.enqueue(event=Event.CASE_CREATED, event_id=f"ce-bench-{i}",
                             payload={"id": f"ce-bench-{i}"}, area_code="640202001001001")
        webhook_bench._set_active(False, drain_timeout=30, settle=0)
        assert not Subscriber.objects.get(pk=subscriber.pk).active
        left, _seconds = webhook_bench._drain(3, poll=0.1)
    finally:
        worker.stop()
    assert left == 0, list(Delivery.objects.filter(status__in=OPEN).values_list("status",
                                                                               "attempts"))
    assert Delivery.objects.filter(status=DeliveryStatus.SENT).count() == 20
    assert len(receiver.received) == 20 and all(r.signature_ok for r in receiver.received)
