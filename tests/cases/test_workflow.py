"""The case closed loop through the real services: the table, permissions, scope, deadlines."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.db import DatabaseError, transaction
from django.utils import timezone

from civicgrid.accounts.models import User
from civicgrid.cases import services
from civicgrid.cases.models import (
    Assignment,
    AssignmentRole,
    AssignmentState,
    Case,
    CaseEvent,
    ExtensionRequest,
    State,
)
from civicgrid.cases.transitions import TRANSITIONS
from civicgrid.core.errors import (
    Conflict,
    DomainError,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from tests.cases.flows import (
    dept,
    dept_user,
    failing_timeline_insert,
    grid_of,
    later,
    reported,
    snapshot,
    to_state,
)

pytestmark = pytest.mark.django_db

Cast = dict[str, User]


class _Rollback(Exception):
    pass


def _pending_extension(cast: Cast, case: Case) -> int:
    return services.request_extension(actor=cast["dept"], case_id=case.pk, reason="材料未到",
                                      until=later(60)).pk


# action → (actor, call); the actor is the one whose move it is in the demo city
ACTIONS: dict[str, tuple[str, Callable[[Cast, Case, User | None], object]]] = {
    "register": ("street", lambda c, case, a: services.register(actor=a, case_id=case.pk)),
    "reject": ("street", lambda c, case, a: services.reject(actor=a, case_id=case.pk, reason="重复")),
    "merge": ("street", lambda c, case, a: services.merge(actor=a, case_id=case.pk,
                                                         into=reported(c).pk)),
    "dispatch": ("street", lambda c, case, a: services.dispatch(actor=a, case_id=case.pk)),
    "escalate": ("street", lambda c, case, a: services.escalate(actor=a, case_id=case.pk,
                                                               reason="跨部门")),
    "sign": ("dept", lambda c, case, a: services.sign(actor=a, case_id=case.pk)),
    "return": ("dept", lambda c, case, a: services.return_case(actor=a, case_id=case.pk,
                                                              reason="非本部门职责")),
    "handle": ("dept", lambda c, case, a: services.handle(actor=a, case_id=case.pk, result="已处理")),
    "request_extension": ("dept", lambda c, case, a: services.request_extension(
        actor=a, case_id=case.pk, reason="材料未到", until=later(60))),
    "decide_extension": ("street", lambda c, case, a: services.decide_extension(
        actor=a, case_id=case.pk, grant=True,
        extension=_pending_extension(c, case) if case.state in TRANSITIONS["decide_extension"].sources
        else 0)),
    "supervise": ("leader", lambda c, case, a: services.supervise(actor=a, case_id=case.pk, level=1,
                                                                 note="尽快办理")),
    "verify_pass": ("grid", lambda c, case, a: services.verify(actor=a, case_id=case.pk, passed=True)),
    "verify_fail": ("grid", lambda c, case, a: services.verify(actor=a, case_id=case.pk, passed=False,
                                                              note="仍有垃圾")),
    "callback": ("hotline", lambda c, case, a: services.callback(actor=a, case_id=case.pk,
                                                                satisfaction=5)),
}
STATES = [State.REPORTED, State.REGISTERED, State.DISPATCHED, State.IN_PROGRESS, State.HANDLED,
          State.CLOSED, State.REJECTED, State.MERGED]


@pytest.mark.parametrize("state", STATES)
def test_every_action_from_every_state_follows_the_table(cast: Cast, state: str) -> None:
    case = to_state(cast, state)
    assert case.state == state
    for action, (username, call) in ACTIONS.items():
        t = TRANSITIONS[action]
        actor: User | None = cast[username]
        if username == "dept" and not Assignment.objects.filter(case=case).exists():
            actor = None  # 城管 cannot even see an undispatched case: the system tries instead
        before = snapshot(case.pk)
        if state in t.sources:  # legal: it goes through, then we undo it
            with pytest.raises(_Rollback), transaction.atomic():
                call(cast, case, actor)
                after = Case.objects.get(pk=case.pk)
                expected = t.target or state
                assert after.state == expected, action
                # deciding an extension needs a pending request first: one action more
                assert after.version == case.version + (2 if action == "decide_extension" else 1)
                last = CaseEvent.objects.filter(case=case).order_by("-id").first()
                assert last is not None and (last.from_state, last.to_state) == (state, expected)
                raise _Rollback
        else:  # illegal: 409 illegal_transition and nothing changed
            with pytest.raises(Conflict) as err:
                call(cast, case, actor)
            assert err.value.code == "illegal_transition", action
            assert err.value.status == 409
        assert snapshot(case.pk) == before, action


def test_the_full_loop_writes_one_event_per_step(cast: Cast) -> None:
    case = to_state(cast, State.CLOSED)
    events = list(CaseEvent.objects.filter(case=case).order_by("id"))
    assert [e.action for e in events] == ["report", "register", "dispatch", "sign", "handle",
                                          "verify_pass"]
    assert all(a.to_state == b.from_state for a, b in zip(events, events[1:], strict=False))
    assert case.version == 5 and case.closed_at and case.closed_on_time is True
    assert case.registered_at and case.dispatched_at and case.handled_at and case.due_at is None
    lead = Assignment.objects.get(case=case)
    assert (lead.department.code, lead.role, lead.state) == ("dept-640202-chengguan", "lead", "handled")


def test_a_stale_version_is_a_conflict(cast: Cast) -> None:
    case = reported(cast)
    with pytest.raises(Conflict) as err:
        services.register(actor=cast["street"], case_id=case.pk, expected_version=case.version + 1)
    assert err.value.code == "stale_version"
    services.register(actor=cast["street"], case_id=case.pk, expected_version=case.version)


# --- permission and scope ---------------------------------------------------------------

def test_a_department_acts_only_on_cases_assigned_to_it(cast: Cast) -> None:
    case = to_state(cast, State.REGISTERED)
    with pytest.raises(NotFound):  # not dispatched yet: 城管 cannot see it
        services.sign(actor=cast["dept"], case_id=case.pk)
    services.dispatch(actor=cast["street"], case_id=case.pk, lead=dept("zhujian").pk)
    with pytest.raises(NotFound):  # dispatched to 住建: still not 城管's
        services.sign(actor=cast["dept"], case_id=case.pk)
    services.sign(actor=dept_user("zhujian"), case_id=case.pk)
    assert Case.objects.get(pk=case.pk).state == State.IN_PROGRESS


def test_roles_without_the_permission_are_refused(cast: Cast) -> None:
    case = reported(cast)
    for username in ("grid", "hotline", "leader", "head"):
        with pytest.raises(PermissionDenied) as err:
            services.register(actor=cast[username], case_id=case.pk)
        assert err.value.code == "action_not_permitted"
    with pytest.raises(NotFound):  # the resident did not report it: not even visible
        services.register(actor=cast["resident"], case_id=case.pk)
    before = snapshot(case.pk)
    with pytest.raises(PermissionDenied):
        services.supervise(actor=cast["grid"], case_id=case.pk, level=1, note="快")
    assert snapshot(case.pk) == before


def test_a_township_cannot_act_on_a_sibling_townships_case(cast: Cast) -> None:
    case = reported(cast, by="center", grid=grid_of("640202004"))
    before = snapshot(case.pk)
    for call in (lambda: services.register(actor=cast["street"], case_id=case.pk),
                 lambda: services.reject(actor=cast["street"], case_id=case.pk, reason="x"),
                 lambda: services.supervise(actor=cast["street"], case_id=case.pk, level=1, note="x")):
        with pytest.raises(NotFound) as err:
            call()
        assert err.value.code == "case_not_found"
    assert snapshot(case.pk) == before
    services.register(actor=cast["center"], case_id=case.pk)  # the district may


def test_escalation_moves_ownership_up_and_keeps_the_history(cast: Cast) -> None:
    case = reported(cast)
    township_centre = case.owner
    services.escalate(actor=cast["street"], case_id=case.pk, reason="涉及多个部门")
    case.refresh_from_db()
    assert case.owner.code == "center-640202" and case.escalation_count == 1
    assert case.state == State.REPORTED
    event = CaseEvent.objects.get(case=case, action="escalate")
    assert event.data["from"] == township_centre.pk and event.data["to"] == case.owner.pk
    assert event.from_state == event.to_state == State.REPORTED
    with pytest.raises(PermissionDenied):  # the township still sees it, but may no longer act
        services.register(actor=cast["street"], case_id=case.pk)
    with pytest.raises(Conflict) as err:  # the district is the top centre of the demo
        services.escalate(actor=cast["center"], case_id=case.pk, reason="再上报")
    assert err.value.code == "no_parent_center"
    services.register(actor=cast["center"], case_id=case.pk)
    services.dispatch(actor=cast["center"], case_id=case.pk)
    assert [e.action for e in CaseEvent.objects.filter(case=case).order_by("id")] == [
        "report", "escalate", "register", "dispatch"]


# --- return, rework, extension, supervision ---------------------------------------------

def test_return_goes_back_to_registered_and_can_be_dispatched_again(cast: Cast) -> None:
    case = to_state(cast, State.IN_PROGRESS)
    services.return_case(actor=cast["dept"], case_id=case.pk, reason="应由住建处理")
    case.refresh_from_db()
    assert case.state == State.REGISTERED and case.handle_due_at is None and case.due_at
    assert set(Assignment.objects.filter(case=case).values_list("state", flat=True)) == {"returned"}
    with pytest.raises(Conflict):  # back at the centre: nothing for 城管 to sign
        services.sign(actor=cast["dept"], case_id=case.pk)
    services.dispatch(actor=cast["street"], case_id=case.pk, lead=dept("zhujian").pk)
    case.refresh_from_db()
    lead = Assignment.objects.get(case=case, state=AssignmentState.DISPATCHED)
    assert lead.department.code == "dept-640202-zhujian" and case.state == State.DISPATCHED
    assert case.handle_due_at == lead.handle_due_at


def test_verify_fail_sends_it_back_for_rework(cast: Cast) -> None:
    case = to_state(cast, State.HANDLED)
    old_due = case.handle_due_at
    with pytest.raises(ValidationFailed):  # a failed check says why
        services.verify(actor=cast["grid"], case_id=case.pk, passed=False)
    services.verify(actor=cast["grid"], case_id=case.pk, passed=False, note="仍有垃圾")
    case.refresh_from_db()
    lead = Assignment.objects.get(case=case)
    assert (case.state, case.rework_count, lead.state) == (State.IN_PROGRESS, 1, AssignmentState.SIGNED)
    assert case.handle_due_at >= old_due and case.due_at == case.handle_due_at
    assert lead.handle_due_at == case.handle_due_at  # the department sees the new deadline too
    services.handle(actor=cast["dept"], case_id=case.pk, result="已彻底清运")
    services.verify(actor=cast["grid"], case_id=case.pk, passed=True)
    case.refresh_from_db()
    assert case.state == State.CLOSED and case.rework_count == 1 and case.result == "已彻底清运"


def test_an_extension_moves_the_handle_deadline_later_never_earlier(cast: Cast) -> None:
    case = to_state(cast, State.IN_PROGRESS)
    due = case.handle_due_at
    with pytest.raises(ValidationFailed) as err:
        services.request_extension(actor=cast["dept"], case_id=case.pk, reason="x",
                                   until=due - dt.timedelta(hours=1))
    assert err.value.code == "extension_not_later"
    until = due + dt.timedelta(days=3)
    request = services.request_extension(actor=cast["dept"], case_id=case.pk, reason="待采购",
                                         until=until)
    with pytest.raises(Conflict) as err:
        services.request_extension(actor=cast["dept"], case_id=case.pk, reason="再延",
                                   until=until + dt.timedelta(days=1))
    assert err.value.code == "extension_pending"
    with pytest.raises(PermissionDenied):  # the department does not grant its own extension
        services.decide_extension(actor=cast["dept"], case_id=case.pk, extension=request.pk, grant=True)
    services.decide_extension(actor=cast["street"], case_id=case.pk, extension=request.pk, grant=True)
    case.refresh_from_db()
    assert case.handle_due_at == until and case.due_at == until
    assert Assignment.objects.get(case=case).handle_due_at == until
    with pytest.raises(Conflict):
        services.decide_extension(actor=cast["street"], case_id=case.pk, extension=request.pk, grant=True)
    # a request granted after the deadline moved later on its own never pulls it back
    second = services.request_extension(actor=cast["dept"], case_id=case.pk, reason="再延",
                                        until=until + dt.timedelta(days=1))
    further = until + dt.timedelta(days=10)
    Assignment.objects.filter(case=case).update(handle_due_at=further)
    Case.objects.filter(pk=case.pk).update(handle_due_at=further, due_at=further)
    services.decide_extension(actor=cast["street"], case_id=case.pk, extension=second.pk, grant=True)
    case.refresh_from_db()
    assert case.handle_due_at == further and case.due_at == further


def test_a_denied_extension_changes_no_deadline(cast: Cast) -> None:
    case = to_state(cast, State.IN_PROGRESS)
    request = services.request_extension(actor=cast["dept"], case_id=case.pk, reason="x", until=later())
    services.decide_extension(actor=cast["street"], case_id=case.pk, extension=request.pk,
                              grant=False, note="理由不充分")
    after = Case.objects.get(pk=case.pk)
    assert (after.handle_due_at, after.due_at) == (case.handle_due_at, case.due_at)
    assert ExtensionRequest.objects.get(pk=request.pk).state == "denied"


def test_supervision_is_a_notice_not_a_state(cast: Cast) -> None:
    case = to_state(cast, State.DISPATCHED)
    services.supervise(actor=cast["leader"], case_id=case.pk, level=2, note="群众反映强烈")
    services.supervise(actor=cast["street"], case_id=case.pk, level=1, note="请抓紧")
    after = Case.objects.get(pk=case.pk)
    assert (after.state, after.supervise_level, after.version) == (State.DISPATCHED, 2, case.version + 2)
    with pytest.raises(ValidationFailed):
        services.supervise(actor=cast["leader"], case_id=case.pk, level=4, note="x")
    events = CaseEvent.objects.filter(case=case, action="supervise").order_by("id")
    assert [e.data["level"] for e in events] == [2, 1]
    assert all(e.from_state == e.to_state == State.DISPATCHED for e in events)


# --- callback and reopening -------------------------------------------------------------

def test_an_unsatisfied_callback_within_the_window_reopens(cast: Cast) -> None:
    case = to_state(cast, State.CLOSED, by="resident")
    services.callback(actor=cast["resident"], case_id=case.pk, satisfaction=2, comment="没解决")
    case.refresh_from_db()
    assert (case.state, case.reopen_count, case.closed_at, case.satisfaction) == (
        State.IN_PROGRESS, 1, None, 2)
    event = CaseEvent.objects.filter(case=case).latest("id")
    assert (event.action, event.from_state, event.to_state) == ("reopen", "closed", "in_progress")
    assert Assignment.objects.get(case=case).state == AssignmentState.SIGNED
    assert case.due_at == case.handle_due_at and case.due_at > timezone.now()


def test_callbacks_outside_the_window_or_satisfied_do_not_reopen(cast: Cast, settings) -> None:  # type: ignore[no-untyped-def]
    old = to_state(cast, State.CLOSED)
    Case.objects.filter(pk=old.pk).update(closed_at=timezone.now() - dt.timedelta(days=8))
    services.callback(actor=cast["hotline"], case_id=old.pk, satisfaction=1)
    assert Case.objects.get(pk=old.pk).state == State.CLOSED
    fine = to_state(cast, State.CLOSED)
    services.callback(actor=cast["hotline"], case_id=fine.pk, satisfaction=3)
    assert Case.objects.get(pk=fine.pk).state == State.CLOSED
    with pytest.raises(ValidationFailed):
        services.callback(actor=cast["hotline"], case_id=fine.pk, satisfaction=0)
    settings.CASE_REOPEN_WINDOW_DAYS = 10  # the window is a setting
    services.callback(actor=cast["hotline"], case_id=old.pk, satisfaction=1)
    assert Case.objects.get(pk=old.pk).state == State.IN_PROGRESS


def test_a_resident_rates_only_their_own_cases(cast: Cast) -> None:
    theirs = to_state(cast, State.CLOSED, by="resident")
    other = to_state(cast, State.CLOSED)
    services.callback(actor=cast["resident"], case_id=theirs.pk, satisfaction=5)
    with pytest.raises(NotFound):
        services.callback(actor=cast["resident"], case_id=other.pk, satisfaction=5)


def test_reopening_an_on_the_spot_case_goes_back_to_the_centre(cast: Cast) -> None:
    case = reported(cast, on_the_spot="已现场清理")
    assert case.state == State.HANDLED and case.on_the_spot
    services.verify(actor=cast["street"], case_id=case.pk, passed=True)
    services.callback(actor=cast["hotline"], case_id=case.pk, satisfaction=1)
    case.refresh_from_db()
    assert case.state == State.REGISTERED and case.reopen_count == 1
    services.dispatch(actor=cast["street"], case_id=case.pk)


# --- merge and co-handlers --------------------------------------------------------------

def test_merge_needs_an_open_target_and_closes_the_duplicate(cast: Cast) -> None:
    closed = to_state(cast, State.CLOSED)
    dup = reported(cast)
    with pytest.raises(Conflict) as err:
        services.merge(actor=cast["street"], case_id=dup.pk, into=closed.pk)
    assert err.value.code == "merge_target_closed"
    with pytest.raises(ValidationFailed):
        services.merge(actor=cast["street"], case_id=dup.pk, into=dup.pk)
    target = to_state(cast, State.DISPATCHED)  # open, further along: fine
    services.merge(actor=cast["street"], case_id=dup.pk, into=target.pk)
    dup.refresh_from_db()
    assert dup.state == State.MERGED and dup.closed_at and dup.merged_into_id == target.pk
    assert dup.due_at is None
    with pytest.raises(Conflict) as err:  # a merged case is closed: nothing merges into it
        services.merge(actor=cast["street"], case_id=reported(cast).pk, into=dup.pk)
    assert err.value.code == "merge_target_closed"


def test_co_handlers_report_without_changing_the_state(cast: Cast) -> None:
    case = to_state(cast, State.REGISTERED)
    zhujian = dept_user("zhujian")
    services.dispatch(actor=cast["street"], case_id=case.pk, co=[dept("zhujian").pk])
    roles = dict(Assignment.objects.filter(case=case).values_list("department__code", "role"))
    assert roles == {"dept-640202-chengguan": "lead", "dept-640202-zhujian": "co"}
    with pytest.raises(Conflict):  # a co-handler does not sign for the case
        services.sign(actor=zhujian, case_id=case.pk)
    services.handle(actor=zhujian, case_id=case.pk, result="已核实房屋安全")  # before the lead signs
    case.refresh_from_db()
    assert case.state == State.DISPATCHED and case.result == ""
    event = CaseEvent.objects.filter(case=case).latest("id")
    assert (event.action, event.from_state, event.to_state) == ("co_handle", "dispatched", "dispatched")
    co = Assignment.objects.get(case=case, role=AssignmentRole.CO)
    assert co.state == AssignmentState.HANDLED and co.result == "已核实房屋安全"
    with pytest.raises(Conflict):  # once is enough
        services.handle(actor=zhujian, case_id=case.pk, result="再报")
    services.sign(actor=cast["dept"], case_id=case.pk)
    services.handle(actor=cast["dept"], case_id=case.pk, result="已清运")
    assert Case.objects.get(pk=case.pk).state == State.HANDLED


# --- a failing database leaves nothing half done ----------------------------------------

def test_a_database_error_mid_action_leaves_no_trace(cast: Cast) -> None:
    case = to_state(cast, State.REGISTERED)
    before = snapshot(case.pk)

    with pytest.raises(DatabaseError), failing_timeline_insert("disk I/O error (injected)"):
        services.dispatch(actor=cast["street"], case_id=case.pk, co=[dept("zhujian").pk])
    # the state, the deadline, the assignments and the event had all been written: none stayed
    assert snapshot(case.pk) == before
    services.dispatch(actor=cast["street"], case_id=case.pk)
    assert Case.objects.get(pk=case.pk).state == State.DISPATCHED


def test_domain_errors_carry_status_and_stable_codes() -> None:
    assert Conflict("x", code="illegal_transition").status == 409
    assert issubclass(Conflict, DomainError) and NotFound.status == 404
