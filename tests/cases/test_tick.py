"""``civicgrid tick``: overdue marks, notices, escalation, 督办 — and a second run changes nothing."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.utils import timezone

from civicgrid.accounts.models import OrgKind, OrgUnit
from civicgrid.areas.models import Area
from civicgrid.cases import services
from civicgrid.cases.models import Case, CaseEvent, State
from civicgrid.cases.tick import tick
from civicgrid.notifications.models import Notification
from tests.notifications.helpers import report, topics

T0 = dt.datetime(2026, 9, 30, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def clock(monkeypatch):  # type: ignore[no-untyped-def]
    class Clock:
        now = T0

    monkeypatch.setattr(timezone, "now", lambda: Clock.now)
    return Clock


@pytest.fixture
def run(django_capture_on_commit_callbacks, clock):  # type: ignore[no-untyped-def]
    """One tick at ``at``, with its after-commit announcements delivered."""

    def _run(at: dt.datetime):  # type: ignore[no-untyped-def]
        clock.now = at
        with django_capture_on_commit_callbacks(execute=True):
            return tick(now=at)
    return _run


@pytest.fixture(autouse=True)
def policy(settings):  # type: ignore[no-untyped-def]
    settings.CASE_ESCALATE_OVERDUE_HOURS = 24
    settings.CASE_SUPERVISE_OVERDUE_HOURS = 24


def snapshot() -> tuple[int, int, list[tuple]]:
    return (CaseEvent.objects.count(), Notification.objects.count(),
            list(Case.objects.order_by("pk").values_list("pk", "state", "owner_id", "version",
                                                          "overdue_marked_at", "supervise_level")))


def test_overdue_accept_is_marked_once_and_tells_the_owner_centre(cast, run):
    case = report(cast["grid"])
    assert case.due_at == T0 + dt.timedelta(hours=2)  # 受理: 2 hours (default policy)
    assert run(T0 + dt.timedelta(hours=1)).cases_marked == 0
    first = run(T0 + dt.timedelta(hours=3))
    assert first.cases_marked == 1
    case.refresh_from_db()
    assert case.overdue_marked_at == T0 + dt.timedelta(hours=3)
    assert topics(cast["street"], case) == ["overdue"]
    assert "已超期（受理）" in Notification.objects.get(user=cast["street"], topic="overdue").title

    before = snapshot()
    again = run(T0 + dt.timedelta(hours=3))
    assert (again.cases_marked, again.assignments_marked, again.escalated, again.supervised) == (
        0, 0, 0, 0)
    assert snapshot() == before

    # a new stage has a new deadline: registering clears the mark, the next miss marks again
    services.register(actor=cast["street"], case_id=case.pk)
    case.refresh_from_db()
    assert case.overdue_marked_at is None
    assert run(case.due_at + dt.timedelta(minutes=1)).cases_marked == 1


def test_escalation_moves_an_untouched_case_up_once(cast, run):
    district = OrgUnit.objects.get(code="center-640202")
    # a city centre above the district, so that only the timeline can stop a second escalation
    OrgUnit.objects.create(code="center-6402", name="石嘴山市综治中心", kind=OrgKind.CENTER,
                           area=Area.objects.get(code="6402"))
    case = report(cast["grid"])
    late = case.due_at + dt.timedelta(hours=24, minutes=1)
    assert run(case.due_at + dt.timedelta(hours=23)).escalated == 0
    assert run(late).escalated == 1
    case.refresh_from_db()
    assert case.owner == district and case.escalation_count == 1 and case.state == State.REPORTED
    event = case.events.get(action="escalate")
    assert event.actor is None and event.actor_name == "系统" and "自动上报" in event.note
    assert topics(cast["center"], case) == ["escalate"]

    # the district got its own time for the stage, never less than the township had left
    assert case.due_at > late and case.stage_started_at <= case.due_at
    before = snapshot()
    assert run(late).escalated == 0  # the same tick again changes nothing
    assert snapshot() == before
    assert run(case.due_at + dt.timedelta(hours=23)).escalated == 0  # overdue, not yet a day
    # the district let its own deadline pass by a day too: up to the city, once
    assert run(case.due_at + dt.timedelta(hours=24, minutes=1)).escalated == 1
    case.refresh_from_db()
    assert case.owner.code == "center-6402" and case.escalation_count == 2


def test_overdue_handling_gets_one_system_supervision(cast, run):
    case = report(cast["grid"])
    services.register(actor=cast["street"], case_id=case.pk)
    services.dispatch(actor=cast["street"], case_id=case.pk)
    services.sign(actor=cast["dept"], case_id=case.pk)
    case.refresh_from_db()
    due = case.handle_due_at
    # 5 working days: 8, 9, 10 (调休 Saturday), 12, 13 October
    assert due == dt.datetime(2026, 10, 13, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))

    marked = run(due + dt.timedelta(hours=1))
    assert (marked.cases_marked, marked.assignments_marked, marked.supervised) == (1, 1, 0)
    assert topics(cast["dept"], case) == ["overdue"]  # the case and its lead: one notice
    assert case.assignments.get(role="lead").overdue_marked_at == due + dt.timedelta(hours=1)

    assert run(due + dt.timedelta(hours=25)).supervised == 1
    case.refresh_from_db()
    assert case.supervise_level == 1
    assert case.events.filter(action="supervise", actor__isnull=True).count() == 1
    assert topics(cast["dept"], case) == ["overdue", "supervise"]
    assert topics(cast["street"], case)[-1] == "supervise"

    before = snapshot()
    assert run(due + dt.timedelta(hours=30)).supervised == 0
    assert snapshot() == before


def test_sign_deadline_marks_the_assignment(cast, run):
    case = report(cast["grid"])
    services.register(actor=cast["street"], case_id=case.pk)
    services.dispatch(actor=cast["street"], case_id=case.pk)
    lead = case.assignments.get(role="lead")
    result = run(lead.sign_due_at + dt.timedelta(minutes=5))
    assert result.assignments_marked == 1
    lead.refresh_from_db()
    assert lead.overdue_marked_at is not None
    assert "签收" in Notification.objects.get(user=cast["dept"], topic="overdue").title
    assert run(lead.sign_due_at + dt.timedelta(minutes=6)).assignments_marked == 0


def test_the_command_runs_once_and_reports(cast, clock, capsys):
    report(cast["grid"])
    clock.now = T0 + dt.timedelta(hours=3)
    call_command("tick")
    out = capsys.readouterr().out
    assert "超期标记：事件 1" in out and "消息已发送" in out
