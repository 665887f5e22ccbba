"""The one transition table of the dispute workflow (issue #6).

registered → accepted → mediating → resolved (agreement) / unresolved (→ escalated to the
next level, or referred: litigation, arbitration, 信访, a specialised committee) → followed up
→ closed. Each action names the states it may start from, the state it leads to (``None``:
the state does not change) and the permission it needs. ``workflow.transition`` is the only
code that changes a dispute's state, and it consults nothing but this table.
"""

from __future__ import annotations

from dataclasses import dataclass

from civicgrid.mediation.models import OPEN_STATES, State

MANAGE = "mediation.manage"


@dataclass(frozen=True)
class Transition:
    action: str
    label: str
    sources: frozenset[str]
    target: str | None
    permission: str


def _t(action: str, label: str, sources: set[str] | frozenset[str], target: str | None,
       permission: str = MANAGE) -> Transition:
    return Transition(action, label, frozenset(sources), target, permission)


S = State
TRANSITIONS: dict[str, Transition] = {t.action: t for t in (
    _t("accept", "受理", {S.REGISTERED}, S.ACCEPTED),
    _t("decline", "不予受理", {S.REGISTERED}, S.DECLINED),
    _t("session", "调解", {S.ACCEPTED, S.MEDIATING}, S.MEDIATING),
    _t("resolve", "调解成功（签订协议）", {S.MEDIATING}, S.RESOLVED),
    _t("fail", "调解未成功", {S.MEDIATING}, S.UNRESOLVED),
    # the dispute moves one level up with its history and is accepted there
    _t("escalate", "上交上级调解", {S.ACCEPTED, S.MEDIATING, S.UNRESOLVED}, S.ACCEPTED),
    _t("refer", "引导分流", {S.UNRESOLVED}, S.REFERRED),
    _t("follow_up", "回访", {S.RESOLVED, S.REFERRED, S.FOLLOWED_UP}, S.FOLLOWED_UP),
    _t("close", "办结", {S.FOLLOWED_UP}, S.CLOSED),
    _t("assess_risk", "风险研判", set(OPEN_STATES), None),
)}

# the order actions are offered in on the page and in the API's ``actions``
ACTION_ORDER = tuple(TRANSITIONS)


def allowed_actions(state: str) -> list[Transition]:
    return [t for t in TRANSITIONS.values() if state in t.sources]
