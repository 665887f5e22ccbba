"""Demo cases: a history that obeys the workflow's rules, in roughly realistic proportions."""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter

import pytest
from django.utils import timezone

from civicgrid.accounts.models import User
from civicgrid.cases.models import (
    CLOSED_STATES,
    OPEN_STATES,
    Assignment,
    Case,
    CaseEvent,
    State,
)
from civicgrid.cases.selectors import cases_visible_to
from civicgrid.cases.transitions import TRANSITIONS
from civicgrid.demo.cases import build_cases, default_count

pytestmark = pytest.mark.django_db

COUNT = 900
NOW = timezone.make_aware(dt.datetime(2026, 6, 15, 10, 0))


@pytest.fixture
def history(db) -> int:  # type: ignore[no-untyped-def]
    started = time.monotonic()
    made = build_cases(COUNT, seed=3, now=NOW)
    assert time.monotonic() - started < 10, "the demo history must be fast to build"
    return made


def _legal(event: CaseEvent) -> bool:
    if event.action == "report":
        return event.from_state == "" and event.to_state == State.REPORTED
    t = TRANSITIONS.get(event.action)
    if t is None or event.from_state not in t.sources:
        return False
    return event.to_state == (t.target or event.from_state)


def test_every_timeline_follows_the_transition_table(history: int) -> None:
    assert history == Case.objects.count() >= COUNT
    events: dict[int, list[CaseEvent]] = {}
    for e in CaseEvent.objects.order_by("at", "id"):
        events.setdefault(e.case_id, []).append(e)
    for case in Case.objects.all():
        chain = events[case.pk]
        assert chain[0].action == "report" and chain[0].at == case.created_at
        assert all(_legal(e) for e in chain), [(e.action, e.from_state, e.to_state) for e in chain]
        assert all(a.to_state == b.from_state and a.at <= b.at
                   for a, b in zip(chain, chain[1:], strict=False))
        assert chain[-1].to_state == case.state and case.version == len(chain) - 1
        assert chain[-1].at <= NOW
        assert (case.closed_at is not None) == (case.state in CLOSED_STATES), case.code
        if case.state in OPEN_STATES:
            assert case.due_at is not None and case.due_at >= case.stage_started_at
        if case.state == State.MERGED:
            assert case.merged_into_id is not None
        if case.state in (State.DISPATCHED, State.IN_PROGRESS, State.HANDLED) and not case.on_the_spot:
            lead = Assignment.objects.get(case=case, role="lead", state__in=["dispatched", "signed",
                                                                             "handled"])
            assert lead.handle_due_at is not None and lead.handle_due_at <= case.handle_due_at


def test_proportions_are_roughly_as_intended(history: int) -> None:
    cases = list(Case.objects.all())
    n = len(cases)
    channels = Counter(c.channel for c in cases)
    assert 0.47 < channels["grid"] / n < 0.63 and 0.18 < channels["hotline"] / n < 0.32
    assert channels["portal"] and channels["household"] and channels["sensor"] and channels["walkin"]
    states = Counter(c.state for c in cases)
    registered = [c for c in cases if c.registered_at is not None or c.on_the_spot]
    closed = [c for c in registered if c.state == State.CLOSED]
    assert 0.93 < len(closed) / len(registered) < 0.995
    assert 0.7 < sum(1 for c in closed if c.closed_on_time) / len(closed) < 0.97
    assert 0.01 < states[State.REJECTED] / n < 0.06 and 0.005 < states[State.MERGED] / n < 0.04
    assert 0.08 < sum(c.on_the_spot for c in cases) / n < 0.22
    assert 0.015 < sum(c.rework_count > 0 for c in cases) / n < 0.08
    assert any(c.escalation_count for c in cases)
    rated = [c.satisfaction for c in cases if c.satisfaction is not None]
    assert sum(s >= 4 for s in rated) / len(rated) > 0.75
    overdue = [c for c in cases if c.state in OPEN_STATES and c.due_at < NOW]
    assert overdue, "some open cases are past their deadline"
    assert {c.created_at.date() for c in cases} and min(c.created_at for c in cases) < NOW - dt.timedelta(days=600)


def test_every_demo_login_finds_work(history: int) -> None:
    users = {u.username: u for u in User.objects.filter(
        username__in=["street", "grid", "dept", "resident", "leader", "center"])}
    street = cases_visible_to(users["street"])
    assert street.filter(state=State.REPORTED).exists() and street.filter(state=State.REGISTERED).exists()
    mine = cases_visible_to(users["grid"])
    assert mine.filter(state=State.HANDLED).count() >= 3  # to verify in the grid member's own grid
    chengguan = cases_visible_to(users["dept"])
    assert chengguan.filter(state=State.DISPATCHED).exists() and chengguan.filter(state=State.IN_PROGRESS).exists()
    own = cases_visible_to(users["resident"]).filter(reporter=users["resident"])
    assert own.filter(state=State.CLOSED, satisfaction__isnull=True,
                      closed_at__gte=NOW - dt.timedelta(days=7)).count() >= 3
    leader = cases_visible_to(users["leader"])
    assert leader.filter(state__in=sorted(OPEN_STATES), supervise_level__gt=0, due_at__lt=NOW).count() >= 3
    assert cases_visible_to(users["center"]).count() == Case.objects.count()


def test_the_history_is_deterministic_for_a_seed(db) -> None:  # type: ignore[no-untyped-def]
    def signature() -> list[tuple]:
        return list(Case.objects.order_by("created_at", "code").values_list(
            "code", "created_at", "category__code", "channel", "state", "grid__code", "version"))

    build_cases(120, seed=5, now=NOW)
    first = signature()
    CaseEvent.objects.all()._raw_delete(CaseEvent.objects.db)  # append-only rows: test cleanup
    Assignment.objects.all().delete()
    Case.objects.update(merged_into=None)
    Case.objects.all().delete()
    build_cases(120, seed=5, now=NOW)
    assert signature() == first


def test_the_default_demo_gets_about_twenty_thousand() -> None:
    assert 19_000 < default_count(600) < 21_000 and default_count(66) < 3_000
