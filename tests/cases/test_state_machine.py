"""Random sequences of real actions by the demo users, legal and illegal, and what must hold.

Hypothesis drives the real services. After every step: each state change has exactly one
timeline entry and the entries chain (each one starts where the previous ended); a closed
case changes only by a callback that reopens it; rejected and merged cases never change;
deadlines never move backwards; the version grows with every successful action and not
otherwise; a refused action changes nothing at all.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone
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
from civicgrid.cases import services
from civicgrid.cases.models import (
    CLOSED_STATES,
    Assignment,
    Case,
    CaseEvent,
    ExtensionRequest,
    ExtensionState,
    State,
)
from civicgrid.core.errors import (
    Conflict,
    DomainError,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from tests.cases.flows import dept, dept_user, reported, snapshot

pytestmark = pytest.mark.django_db

ACTORS = ["street", "center", "dept", "zhujian", "grid", "leader", "hotline", "resident"]
ACTIONS = ["register", "reject", "merge", "dispatch", "dispatch_co", "escalate", "sign", "return",
           "handle", "request_extension", "decide_extension", "supervise", "verify_pass",
           "verify_fail", "callback"]
REFUSALS = (Conflict, PermissionDenied, ValidationFailed, NotFound)
# whose move each action usually is: half the steps use them, half anyone at all
RIGHT = {"register": "street", "reject": "street", "merge": "street", "dispatch": "street",
         "dispatch_co": "center", "escalate": "street", "sign": "dept", "return": "dept",
         "handle": "dept", "request_extension": "dept", "decide_extension": "center",
         "supervise": "leader", "verify_pass": "grid", "verify_fail": "street",
         "callback": "hotline"}
NEXT = {State.REPORTED: ("register", "center"), State.REGISTERED: ("dispatch", "center"),
        State.DISPATCHED: ("sign", "dept"), State.IN_PROGRESS: ("handle", "dept"),
        State.HANDLED: ("verify_pass", "grid")}
SUCCEEDED: dict[str, int] = {}


def _call(action: str, actor: User, case: Case, other: Case | None, satisfaction: int) -> Any:
    pk = case.pk
    if action == "register":
        return services.register(actor=actor, case_id=pk)
    if action == "reject":
        return services.reject(actor=actor, case_id=pk, reason="不属于受理范围")
    if action == "merge":
        return services.merge(actor=actor, case_id=pk, into=other.pk if other else pk)
    if action in ("dispatch", "dispatch_co"):
        co = [dept("zhujian").pk] if action == "dispatch_co" else []
        return services.dispatch(actor=actor, case_id=pk, co=co)
    if action == "escalate":
        return services.escalate(actor=actor, case_id=pk, reason="需上级协调")
    if action == "sign":
        return services.sign(actor=actor, case_id=pk)
    if action == "return":
        return services.return_case(actor=actor, case_id=pk, reason="非本部门职责")
    if action == "handle":
        return services.handle(actor=actor, case_id=pk, result="已处理")
    if action == "request_extension":
        due = case.handle_due_at or timezone.now()
        return services.request_extension(actor=actor, case_id=pk, reason="需采购材料",
                                          until=due + dt.timedelta(days=satisfaction))
    if action == "decide_extension":
        pending = (ExtensionRequest.objects.filter(assignment__case=case, state=ExtensionState.PENDING)
                   .order_by("id").first())
        return services.decide_extension(actor=actor, case_id=pk, extension=pending.pk if pending else 0,
                                         grant=satisfaction % 2 == 1)
    if action == "supervise":
        return services.supervise(actor=actor, case_id=pk, level=1 + satisfaction % 3, note="请加快")
    if action in ("verify_pass", "verify_fail"):
        return services.verify(actor=actor, case_id=pk, passed=action == "verify_pass",
                               note="现场仍未解决")
    assert action == "callback"
    return services.callback(actor=actor, case_id=pk, satisfaction=satisfaction)


class CaseLoop(RuleBasedStateMachine):
    cast: dict[str, User] = {}

    def __init__(self) -> None:
        super().__init__()
        self.atomic = transaction.atomic()
        self.atomic.__enter__()  # every example starts from the same city and leaves nothing
        self.ids: list[int] = []
        self.seen: dict[int, dict[str, Any]] = {}

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self.atomic.__exit__(None, None, None)

    # --- what we observe ---------------------------------------------------------------

    def _observe(self, pk: int) -> dict[str, Any]:
        case = Case.objects.get(pk=pk)
        return {"state": case.state, "version": case.version, "handle_due_at": case.handle_due_at,
                "assignment_dues": dict(Assignment.objects.filter(case_id=pk)
                                        .values_list("id", "handle_due_at"))}

    def _changes(self, pk: int) -> int:
        return sum(1 for f, t in CaseEvent.objects.filter(case_id=pk).values_list("from_state", "to_state")
                   if f != t)

    # --- rules -------------------------------------------------------------------------

    @precondition(lambda self: len(self.ids) < 3)
    @rule(by=st.sampled_from(["grid", "resident", "hotline", "head"]), on_the_spot=st.booleans())
    def report(self, by: str, on_the_spot: bool) -> None:
        spot = "已现场处理" if on_the_spot and by == "grid" else None
        case = reported(self.cast, by=by, on_the_spot=spot)
        events = list(CaseEvent.objects.filter(case=case).order_by("id").values_list("action", flat=True))
        assert events == (["report", "resolve_on_spot"] if spot else ["report"])
        self.ids.append(case.pk)
        self.seen[case.pk] = {**self._observe(case.pk), "changes": len(events), "last_return": 0}

    @precondition(lambda self: bool(self.ids))
    @rule(i=st.integers(0, 2), j=st.integers(0, 2), action=st.sampled_from(ACTIONS),
          anyone=st.one_of(st.none(), st.sampled_from(ACTORS)), satisfaction=st.integers(1, 5))
    def act(self, i: int, j: int, action: str, anyone: str | None, satisfaction: int) -> None:
        self._attempt(i, j, action, anyone or RIGHT[action], satisfaction)

    @precondition(lambda self: bool(self.ids))
    @rule(i=st.integers(0, 2), satisfaction=st.integers(1, 5))
    def advance(self, i: int, satisfaction: int) -> None:
        """The usual next step by the usual person: keeps the walk going round the loop."""
        case = Case.objects.get(pk=self.ids[i % len(self.ids)])
        action, actor = NEXT.get(case.state, ("callback", "hotline"))
        self._attempt(i, i, action, actor, satisfaction)

    def _attempt(self, i: int, j: int, action: str, actor: str, satisfaction: int) -> None:
        case = Case.objects.get(pk=self.ids[i % len(self.ids)])
        other = Case.objects.get(pk=self.ids[j % len(self.ids)])
        before = {pk: snapshot(pk) for pk in self.ids}
        try:
            _call(action, self.cast[actor], case, other, satisfaction)
        except REFUSALS:
            after = {pk: snapshot(pk) for pk in self.ids}
            assert after == before, f"{actor} {action} was refused but changed something"
            return
        except DomainError as exc:  # any other domain error is a bug in the test or the code
            raise AssertionError(f"unexpected {exc!r}") from exc
        SUCCEEDED[action] = SUCCEEDED.get(action, 0) + 1
        new = self._observe(case.pk)
        assert new["version"] > self.seen[case.pk]["version"], f"{action}: version did not grow"
        for pk in self.ids:
            if pk != case.pk:  # a merge tells its target, but acts on the merged case only
                assert Case.objects.get(pk=pk).version == self.seen[pk]["version"]

    # --- invariants --------------------------------------------------------------------

    @invariant()
    def history_and_deadlines_hold(self) -> None:
        for pk in self.ids:
            prev = self.seen[pk]
            now = self._observe(pk)
            events = list(CaseEvent.objects.filter(case_id=pk).order_by("id"))
            # one timeline entry per state change, and the entries chain
            changed = now["state"] != prev["state"]
            assert self._changes(pk) == prev["changes"] + changed
            assert events[0].from_state == "" and events[-1].to_state == now["state"]
            for a, b in zip(events, events[1:], strict=False):
                assert a.to_state == b.from_state, (a.action, b.action)
            assert now["version"] >= prev["version"]
            # closed cases change only through a reopening callback; rejected/merged never
            if changed and prev["state"] in CLOSED_STATES:
                assert prev["state"] == State.CLOSED and events[-1].action in ("reopen",
                                                                               "reopen_unassigned")
            # deadlines never move backwards (a return hands the case back for a new dispatch)
            returned = sum(1 for e in events if e.action == "return")
            old_due = prev["handle_due_at"] if returned == prev["last_return"] else None
            if old_due is not None:
                assert now["handle_due_at"] is not None and now["handle_due_at"] >= old_due
            for aid, due in now["assignment_dues"].items():
                was = prev["assignment_dues"].get(aid)
                assert was is None or (due is not None and due >= was)
            case = Case.objects.get(pk=pk)
            if case.due_at is not None:
                assert case.due_at >= case.stage_started_at
            assert (case.state in CLOSED_STATES) == (case.closed_at is not None)
            self.seen[pk] = {**now, "changes": prev["changes"] + changed, "last_return": returned}


def test_random_action_sequences_keep_the_invariants(cast: dict[str, User]) -> None:
    CaseLoop.cast = {**cast, "zhujian": dept_user("zhujian")}
    run_state_machine_as_test(CaseLoop, settings=settings(
        max_examples=10, stateful_step_count=25, deadline=None, derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]))
    # the walk really went round the loop, not only into refusals
    assert {"register", "dispatch", "sign", "handle", "verify_pass"} <= set(SUCCEEDED), SUCCEEDED
