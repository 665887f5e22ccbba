"""Signed webhooks to a real loopback receiver: delivered, retried, dead, never in the way."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from civicgrid.areas.models import Area
from civicgrid.cases import services as case_services
from civicgrid.cases.models import Case, CaseEvent, State
from civicgrid.cases.tick import tick
from civicgrid.core.errors import ValidationFailed
from civicgrid.webhooks import services, signing
from civicgrid.webhooks.delivery import deliver_due
from civicgrid.webhooks.models import Delivery, DeliveryStatus, Event, Subscriber
from tests.cases.flows import reported
from tests.webhooks.receiver import Receiver, closed_port_url

ALL = [e.value for e in Event]


def subscribe(receiver: Receiver | None, *, url: str = "", area: str = "640202",
              events: list[str] | None = None, name: str = "12345 热线系统") -> Subscriber:
    subscriber, secret = services.create_subscriber(
        actor=None, name=name, url=url or (receiver.url if receiver else ""),
        events=events or ALL, area=Area.objects.get(code=area))
    if receiver is not None:
        receiver.secret = secret
    return subscriber


@pytest.fixture
def report(cast, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    def _report(**kwargs):  # type: ignore[no-untyped-def]
        with django_capture_on_commit_callbacks(execute=True):
            return reported(cast, **kwargs)
    return _report


def later(seconds: int) -> dt.datetime:
    return timezone.now() + dt.timedelta(seconds=seconds)


def test_a_report_is_pushed_signed_without_personal_data(receiver, report) -> None:  # type: ignore[no-untyped-def]
    subscribe(receiver)
    case = report()
    assert deliver_due().sent == 1
    [got] = receiver.received
    assert got.signature_ok
    assert got.headers["X-Civicgrid-Event"] == "case.created"
    delivery = Delivery.objects.get()
    assert got.headers["X-Civicgrid-Delivery"] == str(delivery.uuid)
    assert got.json["case"]["code"] == case.code and got.json["event"] == "case.created"
    assert got.json["id"] == delivery.event_id
    assert case.reporter_name or case.reporter_id  # there was a reporter …
    assert b"reporter" not in got.body and b"grid" not in got.body.split(b'"channel"')[0]
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("sent", 1, 200)
    assert Subscriber.objects.get().last_success_at is not None
    assert deliver_due().sent == 0  # sent once


def test_state_changes_are_pushed_and_a_tampered_body_fails_verification(  # type: ignore[no-untyped-def]
        receiver, report, cast, django_capture_on_commit_callbacks) -> None:
    subscribe(receiver, events=["case.state_changed"])
    case = report()
    with django_capture_on_commit_callbacks(execute=True):
        case_services.register(actor=cast["street"], case_id=case.pk)
    with django_capture_on_commit_callbacks(execute=True):  # a note, no state change: quiet
        case_services.supervise(actor=cast["center"], case_id=case.pk, level=1, note="请尽快办理")
    assert not Delivery.objects.exists()  # nothing written by the actions themselves
    assert deliver_due().sent == 1
    assert Delivery.objects.count() == 1
    [got] = receiver.received
    assert got.json["change"] == {"action": "register", "from_state": "reported",
                                  "to_state": "registered"}
    assert not signing.verify(receiver.secret, got.headers["X-Civicgrid-Timestamp"],
                              got.body.replace(b"registered", b"closed"),
                              got.headers["X-Civicgrid-Signature"], now=timezone.now().timestamp())
    assert signing.verify(receiver.secret, got.headers["X-Civicgrid-Timestamp"], got.body,
                          got.headers["X-Civicgrid-Signature"], now=timezone.now().timestamp())


def test_a_receiver_answering_500_gets_the_retry(receiver, report) -> None:  # type: ignore[no-untyped-def]
    subscribe(receiver)
    receiver.answers = [500]
    report()
    first = deliver_due()
    assert (first.sent, first.retried) == (0, 1)
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("failed", 1, 500)
    assert delivery.next_attempt_at > timezone.now() + dt.timedelta(seconds=25)  # backoff
    assert deliver_due().sent == 0  # not before its time
    assert deliver_due(now=later(31)).sent == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("sent", 2, 200)
    one, two = receiver.received
    assert one.body == two.body and one.headers["X-Civicgrid-Delivery"] == two.headers[
        "X-Civicgrid-Delivery"]
    assert two.signature_ok


def test_a_dead_receiver_ends_dead_and_its_subscriber_failing(report) -> None:  # type: ignore[no-untyped-def]
    subscriber = subscribe(None, url=closed_port_url())
    case = report()
    assert Case.objects.filter(pk=case.pk).exists()  # the action is unaffected
    seconds = 0
    for expected in ("failed", "failed", "dead"):
        deliver_due(now=later(seconds))
        delivery = Delivery.objects.get()
        assert delivery.status == expected
        seconds += 4 * 3600
    assert delivery.attempts == 3 and delivery.last_status_code is None
    assert "ConnectionRefusedError" in delivery.last_error
    subscriber.refresh_from_db()
    assert subscriber.failing_since is not None
    assert deliver_due(now=later(10 * 24 * 3600)).dead == 0  # dead stays dead


def test_a_success_clears_the_failing_mark_and_retry_requeues(receiver, report) -> None:  # type: ignore[no-untyped-def]
    subscriber = subscribe(receiver)
    Subscriber.objects.filter(pk=subscriber.pk).update(failing_since=timezone.now())
    receiver.answers = [500]
    report()
    assert deliver_due().retried == 1
    Delivery.objects.update(status=DeliveryStatus.DEAD, attempts=3)
    assert services.retry_now(actor=None, delivery_ids=Delivery.objects.values_list("pk", flat=True)) == 1
    assert deliver_due().sent == 1
    subscriber.refresh_from_db()
    assert subscriber.failing_since is None


def test_an_inactive_subscribers_deliveries_wait_and_go_out_when_it_is_active_again(  # type: ignore[no-untyped-def]
        receiver, report) -> None:
    subscriber = subscribe(receiver)
    report()  # while it is active …
    services.update_subscriber(actor=None, subscriber_id=subscriber.pk, name=subscriber.name,
                               url=subscriber.url, events=ALL, area=subscriber.area, active=False)
    report()  # … and after it was switched off: not for it
    assert deliver_due(now=later(24 * 3600)).sent == 0 and not receiver.received
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING and delivery.attempts == 0  # not claimed
    services.update_subscriber(actor=None, subscriber_id=subscriber.pk, name=subscriber.name,
                               url=subscriber.url, events=ALL, area=subscriber.area, active=True)
    assert deliver_due().sent == 1 and len(receiver.received) == 1
    assert deliver_due(now=later(24 * 3600)).sent == 0


def test_redirects_to_another_host_are_not_followed(receiver, report) -> None:  # type: ignore[no-untyped-def]
    other = Receiver().start()
    try:
        subscribe(receiver)
        receiver.redirect_to = other.url.replace("127.0.0.1", "localhost")
        report()
        assert deliver_due().retried == 1
        delivery = Delivery.objects.get()
        assert delivery.last_status_code == 307 and "another host" in delivery.last_error
        assert other.received == []
    finally:
        other.stop()


def test_a_redirect_on_the_same_host_keeps_the_signed_post(receiver, report) -> None:  # type: ignore[no-untyped-def]
    subscribe(receiver)
    receiver.redirect_to = receiver.url + "/v2"
    report()
    receiver_calls = receiver.received
    deliver_due()
    # each hop answers 307 again: two hops followed, then given up (no loop)
    assert len(receiver_calls) == 3 and all(r.signature_ok for r in receiver_calls)
    assert Delivery.objects.get().last_error == "too many redirects"


def test_only_subscribers_of_the_case_area_and_event_get_it(receiver, report) -> None:  # type: ignore[no-untyped-def]
    subscribe(receiver, area="640202001", name="长胜街道小程序")
    subscribe(None, url="http://127.0.0.1:9/x", area="640202002", name="别的街道")
    subscribe(None, url="http://127.0.0.1:9/y", events=["case.deadline_passed"], name="只要超期")
    report()
    assert deliver_due().sent == 1
    assert list(Delivery.objects.values_list("subscriber__name", flat=True)) == ["长胜街道小程序"]


def test_deadline_passed_comes_from_the_tick(receiver, report, django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
                                             settings) -> None:
    settings.CASE_ESCALATE_OVERDUE_HOURS = 0
    subscribe(receiver, events=["case.deadline_passed"])
    case = report()
    assert case.state == State.REPORTED and case.due_at is not None
    at = case.due_at + dt.timedelta(minutes=5)
    with django_capture_on_commit_callbacks(execute=True):
        result = tick(now=at)
    assert result.cases_marked >= 1
    # the mark is announced after the tick's commit (here: at the end of the block), so the
    # next tick — which runs the delivery worker after its own pass — sends it
    assert Delivery.objects.get().event == "case.deadline_passed"
    with django_capture_on_commit_callbacks(execute=True):
        again = tick(now=at)
    assert (again.cases_marked, again.extra["推送成功"]) == (0, 1)
    [got] = receiver.received
    assert got.json["event"] == "case.deadline_passed"
    assert got.json["deadline"]["stage"] == "accept"
    assert got.json["case"]["code"] == case.code


def test_a_broken_subscriber_row_stops_neither_the_action_nor_the_others(  # type: ignore[no-untyped-def]
        receiver, report, caplog) -> None:
    broken = subscribe(None, url="http://127.0.0.1:9/x", name="坏的订阅")
    Subscriber.objects.filter(pk=broken.pk).update(events=7)  # not a list
    subscribe(receiver)
    case = report()
    assert Case.objects.filter(pk=case.pk).exists()
    assert CaseEvent.objects.filter(case=case, action="report").count() == 1
    with caplog.at_level(logging.ERROR, logger="civicgrid.webhooks"):
        assert deliver_due().sent == 1
    assert "not a list" in caplog.text
    assert list(Delivery.objects.values_list("subscriber__name", flat=True)) == ["12345 热线系统"]


def test_an_action_writes_nothing_for_webhooks_and_a_rolled_back_one_sends_nothing(  # type: ignore[no-untyped-def]
        cast, receiver) -> None:
    subscribe(receiver)
    with pytest.raises(RuntimeError), transaction.atomic():
        case = reported(cast)
        assert not Delivery.objects.exists()  # nothing in the action's transaction
        raise RuntimeError("the action fails after its timeline entry")
    assert not Case.objects.filter(pk=case.pk).exists()
    assert deliver_due().sent == 0 and not Delivery.objects.exists() and not receiver.received


@pytest.mark.parametrize("url", ["ftp://example.org/x", "file:///etc/passwd", "127.0.0.1:80/x",
                                 "http:///nohost", "http://user:pw@example.org/"])
def test_only_http_urls_are_accepted(db, url: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationFailed):
        subscribe(None, url=url)


def test_the_command_delivers(receiver, report) -> None:  # type: ignore[no-untyped-def]
    subscribe(receiver)
    report()
    call_command("deliver_webhooks", nice=0)  # (the default would lower the test run's priority)
    assert len(receiver.received) == 1 and Delivery.objects.get().status == "sent"


def test_the_command_steps_back_for_case_actions(db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    lowered: list[int] = []
    monkeypatch.setattr("os.nice", lowered.append)  # the real call cannot be undone in this process
    call_command("deliver_webhooks")
    call_command("deliver_webhooks", nice=0)
    assert lowered == [10]


def test_one_kept_alive_connection_carries_a_whole_pass(report) -> None:  # type: ignore[no-untyped-def]
    receiver = Receiver(keep_alive=True).start()
    try:
        subscribe(receiver)
        for _ in range(3):
            report()
        assert deliver_due().sent == 3
        assert len(receiver.received) == 3 and all(r.signature_ok for r in receiver.received)
        assert len(receiver.connections) == 1  # the answers' bodies were read to the end
    finally:
        receiver.stop()


def test_a_url_with_chinese_in_its_path_is_sent_percent_encoded(receiver, report) -> None:  # type: ignore[no-untyped-def]
    subscribe(receiver, url=receiver.url + "/热线?系统=12345")
    report()
    assert deliver_due().sent == 1
    [got] = receiver.received
    assert got.path == "/hooks/civicgrid/%E7%83%AD%E7%BA%BF?%E7%B3%BB%E7%BB%9F=12345"
