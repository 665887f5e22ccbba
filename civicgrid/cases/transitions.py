"""The one transition table of the case workflow (DESIGN.md §3).

Each action names the states it may start from, the state it leads to (``None``: the state
does not change, e.g. 督办), and the permission it needs. ``civicgrid.cases.workflow.perform``
is the only code that changes a case's state, and it consults nothing but this table.
"""

from __future__ import annotations

from dataclasses import dataclass

from civicgrid.cases.models import OPEN_STATES, State

R, G, D, P, H, C = (State.REPORTED, State.REGISTERED, State.DISPATCHED, State.IN_PROGRESS,
                    State.HANDLED, State.CLOSED)


@dataclass(frozen=True)
class Transition:
    action: str
    label: str
    sources: frozenset[str]
    target: str | None
    permissions: tuple[str, ...]  # any one of them suffices
    role: str  # whose move it is: "center", "department", "verifier", "field", "any"


def _t(action: str, label: str, sources: set[str] | frozenset[str], target: str | None,
       permissions: tuple[str, ...], role: str) -> Transition:
    return Transition(action, label, frozenset(sources), target, permissions, role)


TRANSITIONS: dict[str, Transition] = {t.action: t for t in (
    _t("resolve_on_spot", "即报即办", {R}, H, ("cases.resolve_on_spot",), "field"),
    _t("register", "受理立案", {R}, G, ("cases.register",), "center"),
    _t("reject", "不予立案", {R}, State.REJECTED, ("cases.reject",), "center"),
    _t("merge", "合并", {R, G}, State.MERGED, ("cases.merge",), "center"),
    _t("dispatch", "派遣", {G}, D, ("cases.dispatch",), "center"),
    _t("escalate", "上报上级", {R, G}, None, ("cases.escalate",), "center"),
    _t("sign", "签收", {D}, P, ("cases.sign",), "department"),
    _t("return", "退回", {D, P}, G, ("cases.return",), "department"),
    _t("handle", "处置反馈", {P}, H, ("cases.handle",), "department"),
    _t("co_handle", "协办反馈", {D, P, H}, None, ("cases.handle",), "department"),
    _t("request_extension", "申请延期", {D, P}, None, ("cases.request_extension",), "department"),
    _t("decide_extension", "审批延期", {D, P}, None, ("cases.decide_extension",), "center"),
    _t("supervise", "督办", set(OPEN_STATES), None, ("cases.supervise",), "any"),
    _t("verify_pass", "核查通过", {H}, C, ("cases.verify",), "verifier"),
    _t("verify_fail", "核查不通过（返工）", {H}, P, ("cases.verify",), "verifier"),
    _t("callback", "回访", {C}, None, ("cases.callback", "cases.callback_own"), "any"),
    # a callback that finds the problem unsolved within the window reopens the case
    _t("reopen", "重新办理", {C}, P, ("cases.callback", "cases.callback_own"), "any"),
    # … back to the centre when no department handled it (即报即办)
    _t("reopen_unassigned", "重新办理（待派遣）", {C}, G, ("cases.callback", "cases.callback_own"),
       "any"),
)}

# API action names → table actions (``verify`` and ``callback`` decide the outcome from data)
API_ACTIONS = ("register", "reject", "merge", "dispatch", "sign", "return", "handle",
               "request-extension", "decide-extension", "supervise", "verify", "escalate",
               "callback")


def allowed_actions(state: str) -> list[Transition]:
    return [t for t in TRANSITIONS.values() if state in t.sources]
