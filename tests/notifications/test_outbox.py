"""Outbound delivery: after commit, retried with backoff, never breaking the case action."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from civicgrid.cases import services
from civicgrid.cases.models import State
from civicgrid.notifications import outbox
from civicgrid.notifications.models import OutboundMessage, OutboundStatus
from tests.notifications.helpers import report

sent_messages: list[tuple[str, str]] = []


class BrokenGateway:
    """A real sender whose gateway is down."""

    def send(self, *, recipient: str, body: str) -> None:
        raise ConnectionError("短信网关无响应")


class RecordingGateway:
    def send(self, *, recipient: str, body: str) -> None:
        sent_messages.append((recipient, body))


BROKEN = "tests.notifications.test_outbox.BrokenGateway"
RECORDING = "tests.notifications.test_outbox.RecordingGateway"


@pytest.fixture(autouse=True)
def _clear() -> None:
    sent_messages.clear()


def closed_with_phone(cast, committed):  # type: ignore[no-untyped-def]
    with committed():
        case = report(cast["hotline"], channel="hotline", phone="13700003333")
    services.register(actor=cast["street"], case_id=case.pk)
    services.dispatch(actor=cast["street"], case_id=case.pk)
    services.sign(actor=cast["dept"], case_id=case.pk)
    services.handle(actor=cast["dept"], case_id=case.pk, result="已清运")
    with committed():
        case = services.verify(actor=cast["grid"], case_id=case.pk, passed=True)
    return case


@pytest.fixture
def committed(django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    return lambda: django_capture_on_commit_callbacks(execute=True)


def test_a_failing_sender_never_breaks_the_action(cast, committed, settings):
    settings.NOTIFY_SMS_BACKEND = BROKEN
    settings.NOTIFY_SEND_AFTER_COMMIT = True
    case = closed_with_phone(cast, committed)
    assert case.state == State.CLOSED
    case.refresh_from_db()
    assert case.state == State.CLOSED  # committed, whatever the gateway did

    message = OutboundMessage.objects.get(case=case, recipient="13700003333")
    assert message.status == OutboundStatus.PENDING and message.attempts == 1
    assert "ConnectionError" in message.last_error and "短信网关无响应" in message.last_error
    assert message.next_attempt_at > timezone.now() + dt.timedelta(seconds=50)  # backed off

    # the worker tries again once the backoff has passed, now through a working gateway
    settings.NOTIFY_SMS_BACKEND = RECORDING
    assert outbox.deliver_due().sent == 0  # not yet due
    later = message.next_attempt_at + dt.timedelta(seconds=1)
    assert outbox.deliver_due(now=later).sent == 1
    message.refresh_from_db()
    assert message.status == OutboundStatus.SENT and message.attempts == 2
    assert message.sent_at is not None and message.last_error == ""
    assert sent_messages == [("13700003333", message.body)]
    assert outbox.deliver_due(now=later + dt.timedelta(hours=1)).sent == 0  # sent once only


def test_backoff_grows_and_the_worker_gives_up(cast, committed, settings):
    settings.NOTIFY_SMS_BACKEND = BROKEN
    settings.NOTIFY_MAX_ATTEMPTS = 3
    case = closed_with_phone(cast, committed)
    message = OutboundMessage.objects.get(case=case)
    assert message.attempts == 0  # not sent after commit by default: the worker does it
    now = timezone.now()
    gaps = []
    for _ in range(3):
        now = OutboundMessage.objects.get(pk=message.pk).next_attempt_at + dt.timedelta(seconds=1)
        outbox.deliver_due(now=now)
        gaps.append(OutboundMessage.objects.get(pk=message.pk).next_attempt_at - now)
    message.refresh_from_db()
    assert message.status == OutboundStatus.FAILED and message.attempts == 3
    assert gaps[0] == dt.timedelta(seconds=60) and gaps[1] == dt.timedelta(seconds=120)
    assert outbox.deliver_due(now=now + dt.timedelta(days=1)).failed == 0


def test_a_switched_off_channel_queues_nothing(cast, committed, settings):
    settings.NOTIFY_SMS_BACKEND = ""
    case = closed_with_phone(cast, committed)
    assert not OutboundMessage.objects.filter(case=case).exists()


def test_wecom_reaches_staff_by_account(cast, committed, settings):
    settings.NOTIFY_WECOM_BACKEND = RECORDING
    with committed():
        case = report(cast["grid"])
    message = OutboundMessage.objects.get(case=case, channel="wecom")
    assert message.recipient == "street" and message.user == cast["street"]
    assert outbox.deliver_due().sent == 1 and sent_messages[0][0] == "street"
