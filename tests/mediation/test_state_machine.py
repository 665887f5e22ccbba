"""Random sequences of real dispute actions by the demo users, legal and illegal.

Hypothesis drives the real services. After every step: each state change has exactly one
timeline entry and the entries chain and follow the transition table; closed and declined
disputes never change; the level never goes down and moves only by escalation; the version
grows with every successful action and not otherwise; a refused action changes nothing.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from civicgrid.accounts.models import User
from civicgrid.core.errors import (
    Conflict,
    DomainError,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from civicgrid.mediation import rollup_check, services
from civicgrid.mediation.facts import measures_of
from civicgrid.mediation.models import (
    CLOSED_STATES,
    LEVEL_ORDER,
    Agreement,
    Dispute,
    DisputeEvent,
    FollowUp,
    Session,
    State,
)
from civicgrid.mediation.rollup_models import DisputeFact
from civicgrid.mediation.transitions import TRANSITIONS
from tests.mediation import brute
from tests.mediation.flows import county_mediator, cun, mediator_at, reported

pytestmark = pytest.mark.django_db

ACTORS = ["cun", "mediator", "county", "grid", "leader", "street", "dept", "resident"]
ACTIONS = ["accept", "decline", "session", "resolve", "fail", "escalate", "refer", "follow_up",
           "close", "assess_risk"]
REFUSALS = (Conflict, PermissionDenied, ValidationFailed, NotFound)
NEXT = {State.REGISTERED: "accept", State.ACCEPTED: "session", State.RESOLVED: "follow_up",
        State.UNRESOLVED: "escalate", State.REFERRED: "follow_up", State.FOLLOWED_UP: "close"}
SUCCEEDED: dict[str, int] = {}


def _call(action: str, actor: User, pk: int, n: int) -> Any:
    if action == "accept":
        return services.accept(actor=actor, dispute_id=pk)
    if action == "decline":
        return services.decline(actor=actor, dispute_id=pk, reason="不属于调解范围")
    if action == "session":
        return services.record_session(actor=actor, dispute_id=pk, place="调解室",
                                       mediators="调解员", notes=f"第{n}次调解")
    if action == "resolve":
        return services.resolve(actor=actor, dispute_id=pk, terms="双方和解")
    if action == "fail":
        return services.fail(actor=actor, dispute_id=pk, reason="未达成一致")
    if action == "escalate":
        return services.escalate(actor=actor, dispute_id=pk, reason="需上级协调")
    if action == "refer":
        return services.refer(actor=actor, dispute_id=pk,
                              referral=["litigation", "arbitration", "petition", "bogus"][n % 4])
    if action == "follow_up":
        return services.follow_up(actor=actor, dispute_id=pk, notes="回访",
                                  performance=["", "pending", "fulfilled", "partial", "breached"][n % 5])
    if action == "close":
        return services.close(actor=actor, dispute_id=pk)
    assert action == "assess_risk"
    return services.assess_risk(actor=actor, dispute_id=pk, risk=["low", "medium", "high", "major"][n % 4],
                                reasons="研判")


def snapshot(pk: int) -> tuple[Any, ...]:
    d = Dispute.objects.get(pk=pk)
    return (d.state, d.version, d.level, d.risk, d.mediator_id, d.due_at,
            DisputeEvent.objects.filter(dispute_id=pk).count(),
            Session.objects.filter(dispute_id=pk).count(),
            FollowUp.objects.filter(dispute_id=pk).count(),
            Agreement.objects.filter(dispute_id=pk).values_list("performance", flat=True).first())


class DisputeLoop(RuleBasedStateMachine):
    cast: dict[str, User] = {}

    def __init__(self) -> None:
        super().__init__()
        self.atomic = transaction.atomic()
        self.atomic.__enter__()  # every example starts from the same city and leaves nothing
        self.ids: list[int] = []
        self.seen: dict[int, tuple[Any, ...]] = {}

    def teardown(self) -> None:
        report = rollup_check.check()  # the KPI rollups against a count over every dispute
        assert report.differences == [], report.differences[:3]
        transaction.set_rollback(True)
        self.atomic.__exit__(None, None, None)

    @precondition(lambda self: len(self.ids) < 3)
    @rule(by=st.sampled_from(["grid", "street", "mediator"]),
          risk=st.sampled_from(["low", "medium", "high", "major"]))
    def register(self, by: str, risk: str) -> None:
        d = reported(self.cast, by=by, risk=risk)
        self.ids.append(d.pk)
        self.seen[d.pk] = snapshot(d.pk)

    @precondition(lambda self: bool(self.ids))
    @rule(i=st.integers(0, 2), action=st.sampled_from(ACTIONS),
          actor=st.sampled_from(ACTORS), n=st.integers(0, 20))
    def act(self, i: int, action: str, actor: str, n: int) -> None:
        self._attempt(i, action, actor, n)

    @precondition(lambda self: bool(self.ids))
    @rule(i=st.integers(0, 2), n=st.integers(0, 20), resolve=st.booleans())
    def advance(self, i: int, n: int, resolve: bool) -> None:
        """The usual next step by a mediator of its level: keeps the walk going round the loop."""
        d = Dispute.objects.get(pk=self.ids[i % len(self.ids)])
        action = NEXT.get(d.state, "resolve" if resolve else "fail")
        self._attempt(i, action, f"at-{d.level}", 2 if action == "follow_up" else n)

    def _attempt(self, i: int, action: str, actor: str, n: int) -> None:
        pk = self.ids[i % len(self.ids)]
        before = {p: snapshot(p) for p in self.ids}
        try:
            _call(action, self.cast[actor], pk, n)
        except REFUSALS:
            assert {p: snapshot(p) for p in self.ids} == before, f"{actor} {action} refused but changed"
            return
        except DomainError as exc:
            raise AssertionError(f"unexpected {exc!r}") from exc
        SUCCEEDED[action] = SUCCEEDED.get(action, 0) + 1
        after = snapshot(pk)
        assert after[1] == before[pk][1] + 1, f"{action}: version did not grow by one"
        assert after[6] == before[pk][6] + 1, f"{action}: not exactly one timeline entry"
        for p in self.ids:
            if p != pk:
                assert snapshot(p) == before[p]

    @invariant()
    def history_holds(self) -> None:
        for pk in self.ids:
            prev, now = self.seen[pk], snapshot(pk)
            d = Dispute.objects.get(pk=pk)
            events = list(DisputeEvent.objects.filter(dispute_id=pk).order_by("id"))
            assert events[0].action == "register" and events[0].from_state == ""
            assert events[-1].to_state == d.state
            for a, b in zip(events, events[1:], strict=False):
                assert a.to_state == b.from_state
                t = TRANSITIONS[b.action]
                assert b.from_state in t.sources and b.to_state == (t.target or b.from_state)
            if prev[0] in CLOSED_STATES:
                assert now == prev, "a closed or declined dispute changed"
            assert LEVEL_ORDER.index(now[2]) >= LEVEL_ORDER.index(prev[2])
            assert LEVEL_ORDER.index(d.level) - LEVEL_ORDER.index(d.start_level) == sum(
                1 for e in events if e.action == "escalate") == d.escalation_count
            assert (d.state in CLOSED_STATES) == (d.closed_at is not None)
            assert (d.resolved_at is not None) == Agreement.objects.filter(dispute_id=pk).exists()
            assert (d.accepted_at is not None) == any(e.action == "accept" for e in events)
            # what the dispute counts for in the KPIs, stored in its action's transaction
            fact = DisputeFact.objects.get(pk=pk)
            assert {m for m, v in measures_of(fact).items() if v} == brute.timeline_measures(events)
            assert (fact.level, fact.mediator_id) == (d.level, d.mediator_id or 0)
            self.seen[pk] = now


def test_random_action_sequences_keep_the_invariants(cast: dict[str, User]) -> None:
    DisputeLoop.cast = {**cast, "cun": cun(cast), "county": county_mediator(),
                        **{f"at-{lv}": mediator_at(cast, lv) for lv in LEVEL_ORDER}}
    run_state_machine_as_test(DisputeLoop, settings=settings(
        max_examples=12, stateful_step_count=30, deadline=None, derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]))
    assert {"accept", "session", "resolve", "fail", "escalate", "follow_up", "close"} <= set(
        SUCCEEDED), SUCCEEDED
