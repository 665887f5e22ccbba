"""The one function that changes a case's state: ``transition``.

It locks the case row, checks the move against the transition table and the actor's
permissions and scope, lets the action apply its own changes, sets the new state and the
deadline of the stage it enters, bumps the version, and appends exactly one timeline entry
— all in one transaction. Side effects (notifications) are announced after commit through
the ``case_event_committed`` signal. An illegal move or a lost race is a ``Conflict`` (409).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone

from civicgrid.accounts.models import OrgKind, User
from civicgrid.accounts.scope import scope_for
from civicgrid.areas.models import CODE_LENGTH
from civicgrid.cases import deadlines
from civicgrid.cases.models import (
    STAGE_OF_STATE,
    Assignment,
    AssignmentState,
    Case,
    CaseEvent,
    State,
)
from civicgrid.cases.selectors import cases_visible_to
from civicgrid.cases.transitions import API_ACTIONS, TRANSITIONS, Transition, allowed_actions
from civicgrid.core.errors import Conflict, NotFound, PermissionDenied
from civicgrid.core.rows import insert
from civicgrid.core.transactions import write_transaction

# sent after commit with ``event`` (a CaseEvent) and ``case``
case_event_committed = Signal()
# sent inside the transaction that wrote the entry: for what must commit or roll back with it;
# receivers must not fail the action. None by default (webhooks read the timeline itself, ADR
# 0008); a listener sends plain reports back through a transaction (ADR 0010)
case_event_recorded = Signal()

ACTIVE_ASSIGNMENT = (AssignmentState.DISPATCHED, AssignmentState.SIGNED, AssignmentState.HANDLED)


@dataclass
class Step:
    """What an action hands back to ``transition`` to record."""

    case: Case
    transition: Transition
    actor: User | None
    now: dt.datetime
    note: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    target: str | None = None  # overrides the table only to pick among its own actions


def actor_department_ids(actor: User | None, permission: str) -> frozenset[int]:
    return scope_for(actor, permission).org_unit_ids


def _may(actor: User | None, t: Transition, case: Case, *, assignment_required: bool) -> bool:
    if actor is None:  # the system (deadline escalation, imports)
        return True
    for permission in t.permissions:
        scope = scope_for(actor, permission)
        if scope.is_empty:
            continue
        if permission.endswith("_own"):
            if case.reporter_id == actor.pk:
                return True
            continue
        if t.role == "department" or assignment_required:
            if case.assignments.filter(department_id__in=sorted(scope.org_unit_ids),
                                       state__in=ACTIVE_ASSIGNMENT).exists():
                return True
            continue
        if not scope.covers_code(case.area_code):
            continue
        if t.role == "center" and actor.org_unit_id is not None:
            org = actor.org_unit
            # a centre acts on the cases it owns, and on those of the centres below it
            if org.kind != OrgKind.CENTER or not case.owner.area.code.startswith(org.area.code):
                continue
        return True
    return False


# table actions → the API action that performs them (verify and callback pick the outcome)
API_ACTION_OF = {
    "register": "register", "reject": "reject", "merge": "merge", "dispatch": "dispatch",
    "escalate": "escalate", "sign": "sign", "return": "return", "handle": "handle",
    "co_handle": "handle", "request_extension": "request-extension",
    "decide_extension": "decide-extension", "supervise": "supervise", "verify_pass": "verify",
    "verify_fail": "verify", "callback": "callback", "reopen": "callback",
    "reopen_unassigned": "callback",
}


# department moves that only the lead (主办) makes, and the one only a co-handler makes
_LEAD_ONLY, _CO_ONLY = frozenset({"sign", "return", "handle"}), frozenset({"co_handle"})


def actions_for(actor: User | None, case: Case) -> list[str]:
    """The API actions ``actor`` may take on ``case`` now (table + permission + scope)."""
    found: set[str] = set()
    for t in allowed_actions(case.state):
        name = API_ACTION_OF.get(t.action)
        if name is None or name in found or not _may(actor, t, case, assignment_required=False):
            continue
        if actor is not None and t.action in _LEAD_ONLY | _CO_ONLY:
            role = "co" if t.action in _CO_ONLY else "lead"
            ids = sorted(actor_department_ids(actor, t.permissions[0]))
            if not case.assignments.filter(department_id__in=ids, role=role,
                                           state__in=ACTIVE_ASSIGNMENT).exists():
                continue
        found.add(name)
    return [a for a in API_ACTIONS if a in found]


def _area_level(case: Case) -> str:
    return case.owner.area.level


def enter_stage(case: Case, state: str, now: dt.datetime) -> None:
    """Set the state and the deadline of the stage it starts (handle deadline is kept)."""
    case.state = state
    case.stage_started_at = now
    case.overdue_marked_at = None
    stage = STAGE_OF_STATE.get(State(state))
    if stage is None:
        case.due_at = None
    elif state == State.IN_PROGRESS and case.handle_due_at is not None:
        case.due_at = case.handle_due_at
    else:
        case.due_at = deadlines.due_for(stage=stage, category=case.category, urgency=case.urgency,
                                        area_level=_area_level(case), start=now)


@contextmanager
def transition(*, actor: User | None, case_id: int, action: str, note: str = "",
               expected_version: int | None = None) -> Iterator[Step]:
    """``with transition(...) as step:`` — the action edits ``step.case`` and ``step.data``."""
    t = TRANSITIONS[action]
    if actor is not None and not cases_visible_to(actor).filter(pk=case_id).exists():
        raise NotFound("事件不存在。", code="case_not_found")
    with write_transaction():
        case = (Case.objects.select_for_update(of=("self",))
                .select_related("owner__area", "category__parent")
                .filter(pk=case_id).first())
        if case is None:
            raise NotFound("事件不存在。", code="case_not_found")
        if expected_version is not None and case.version != expected_version:
            raise Conflict("该事件已被他人处理，请刷新后重试。", code="stale_version",
                           fields={"version": case.version})
        if case.state not in t.sources:
            raise Conflict(
                f"当前状态「{State(case.state).label}」不能执行「{t.label}」。",
                code="illegal_transition", fields={"state": case.state, "action": action},
            )
        if not _may(actor, t, case, assignment_required=False):
            raise PermissionDenied(f"您无权对该事件执行「{t.label}」。", code="action_not_permitted")
        now = timezone.now()
        step = Step(case=case, transition=t, actor=actor, now=now, note=note)
        from_state = case.state
        yield step
        if step.target and step.target not in TRANSITIONS:
            raise Conflict("未知的流转动作。", code="illegal_transition")
        final = TRANSITIONS[step.target] if step.target else t
        if step.target and from_state not in final.sources:
            raise Conflict(f"「{final.label}」不适用于当前状态。", code="illegal_transition")
        if final.target is not None and final.target != from_state:
            enter_stage(case, final.target, now)
        case.version += 1
        case.save()
        event = record_event(case=case, actor=actor, action=final.action, from_state=from_state,
                             to_state=case.state, note=step.note, data=step.data, at=now)
        announce(event=event, case=case)


def announce(*, event: CaseEvent, case: Case) -> None:
    """Tell the listeners of a timeline entry just written: ``case_event_recorded`` now, in
    the same transaction, and ``case_event_committed`` once it has committed."""
    case_event_recorded.send(sender=Case, event=event, case=case)
    transaction.on_commit(lambda: case_event_committed.send(sender=Case, event=event, case=case))


def record_event(*, case: Case, actor: User | None, action: str, from_state: str, to_state: str,
                 note: str = "", data: dict[str, Any] | None = None,
                 at: dt.datetime | None = None) -> CaseEvent:
    event = new_event(case=case, actor=actor, action=action, from_state=from_state,
                      to_state=to_state, note=note, data=data, at=at)
    insert([event])  # append-only, a plain INSERT (core/rows.py)
    return event


def new_event(*, case: Case, actor: User | None, action: str, from_state: str, to_state: str,
              note: str = "", data: dict[str, Any] | None = None,
              at: dt.datetime | None = None) -> CaseEvent:
    """The timeline entry ``record_event`` writes, not yet written."""
    return CaseEvent(
        case=case, at=at or timezone.now(), actor=actor,
        actor_name=(actor.display_name or actor.username) if actor else "系统",
        actor_org=actor.org_unit if actor else None, action=action, from_state=from_state,
        to_state=to_state, note=note, data=data or {},
    )


def lead_assignment(case: Case) -> Assignment | None:
    return case.assignments.filter(role="lead", state__in=ACTIVE_ASSIGNMENT).first()


def assignment_of(actor: User | None, case: Case, permission: str) -> Assignment:
    """The actor's department's active assignment on the case (lead first)."""
    ids = sorted(actor_department_ids(actor, permission))
    found = (case.assignments.filter(department_id__in=ids, state__in=ACTIVE_ASSIGNMENT)
             .order_by("role", "id").first())
    if found is None:
        raise PermissionDenied("该事件没有派给您的部门。", code="not_assigned")
    return found


def county_prefix(code: str) -> str:
    return code[:CODE_LENGTH["county"]]


ActionFn = Callable[..., Case]
