"""The one function that changes a dispute's state: ``transition``.

It checks the actor may see the dispute, locks the row, checks the move against the
transition table and the actor's permission and scope, lets the action apply its own
changes, sets the new state and its deadline, bumps the version and appends exactly one
timeline entry — all in one transaction. Side effects (risk alerts) run after commit.
An illegal move or a lost race is a ``Conflict`` (409).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from civicgrid.accounts.models import User
from civicgrid.accounts.scope import scope_for
from civicgrid.areas.models import CODE_LENGTH, AreaLevel
from civicgrid.core.errors import Conflict, NotFound, PermissionDenied
from civicgrid.core.transactions import write_transaction
from civicgrid.mediation import deadlines, rollups
from civicgrid.mediation.models import Dispute, DisputeEvent, State
from civicgrid.mediation.selectors import disputes_visible_to
from civicgrid.mediation.transitions import ACTION_ORDER, TRANSITIONS, Transition, allowed_actions


@dataclass
class Step:
    """What an action hands back to ``transition`` to record."""

    dispute: Dispute
    transition: Transition
    actor: User | None
    now: dt.datetime
    note: str = ""
    data: dict[str, Any] = field(default_factory=dict)


def may(actor: User | None, t: Transition, dispute: Dispute) -> bool:
    """The actor's scope covers the dispute, at the level it is mediated at or above: once a
    dispute went up to the township, the village's mediators follow it but no longer act."""
    if actor is None:  # the system (imports, the demo)
        return True
    scope = scope_for(actor, t.permission)
    if scope.everywhere:
        return True
    longest = CODE_LENGTH[AreaLevel(dispute.level)]
    return any(dispute.area_code.startswith(p) and len(p) <= longest for p in scope.area_prefixes)


def actions_for(actor: User | None, dispute: Dispute) -> list[str]:
    """The actions ``actor`` may take on ``dispute`` now (table + permission + scope)."""
    found = {t.action for t in allowed_actions(dispute.state) if may(actor, t, dispute)}
    if dispute.level == "county":
        found.discard("escalate")
    return [a for a in ACTION_ORDER if a in found]


@contextmanager
def transition(*, actor: User | None, dispute_id: int, action: str, note: str = "",
               expected_version: int | None = None) -> Iterator[Step]:
    """``with transition(...) as step:`` — the action edits ``step.dispute`` and ``step.data``."""
    t = TRANSITIONS[action]
    if actor is not None and not disputes_visible_to(actor).filter(pk=dispute_id).exists():
        raise NotFound("纠纷不存在。", code="dispute_not_found")
    with write_transaction():
        dispute = Dispute.objects.select_for_update().filter(pk=dispute_id).first()
        if dispute is None:
            raise NotFound("纠纷不存在。", code="dispute_not_found")
        if expected_version is not None and dispute.version != expected_version:
            raise Conflict("该纠纷已被他人处理，请刷新后重试。", code="stale_version",
                           fields={"version": dispute.version})
        if dispute.state not in t.sources:
            raise Conflict(
                f"当前状态「{State(dispute.state).label}」不能执行「{t.label}」。",
                code="illegal_transition", fields={"state": dispute.state, "action": action},
            )
        if not may(actor, t, dispute):
            raise PermissionDenied(f"您无权对该纠纷执行「{t.label}」。",
                                   code="action_not_permitted")
        now = timezone.now()
        step = Step(dispute=dispute, transition=t, actor=actor, now=now, note=note)
        from_state = dispute.state
        yield step
        if t.target is not None and (t.target != from_state or action == "escalate"):
            deadlines.enter_stage(dispute, t.target, now)
        dispute.version += 1
        dispute.save()
        record_event(dispute=dispute, actor=actor, action=action, from_state=from_state,
                     to_state=dispute.state, note=step.note, data=step.data, at=now)


def record_event(*, dispute: Dispute, actor: User | None, action: str, from_state: str,
                 to_state: str, note: str = "", data: dict[str, Any] | None = None,
                 at: dt.datetime | None = None) -> DisputeEvent:
    """The timeline entry of a change just saved, and that change in the KPI rollups (same
    transaction: ``rollups.refresh``)."""
    rollups.refresh(dispute)
    return DisputeEvent.objects.create(
        dispute=dispute, at=at or timezone.now(), actor=actor,
        actor_name=(actor.display_name or actor.username) if actor else "系统",
        action=action, from_state=from_state, to_state=to_state, level=dispute.level,
        note=note, data=data or {},
    )
