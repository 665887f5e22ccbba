"""Helpers shared by the case pages: deadline colours, allowed actions, masking, errors."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.accounts.models import User
from civicgrid.accounts.scope import scope_for
from civicgrid.areas.models import Area, AreaLevel, Grid
from civicgrid.cases import deadlines
from civicgrid.cases.models import Case, ExtensionState
from civicgrid.cases.transitions import TRANSITIONS
from civicgrid.cases.workflow import ACTIVE_ASSIGNMENT, actor_department_ids
from civicgrid.cases.workflow import actions_for as workflow_actions_for

# table actions a person picks on the page; the rest are chosen by the services from data
# (verify_pass/verify_fail → "verify", callback → reopen…, handle → co_handle)
PAGE_ACTIONS = ("register", "reject", "merge", "dispatch", "escalate", "sign", "return",
                "handle", "request_extension", "decide_extension", "supervise", "verify",
                "callback")
_TABLE_ACTION = {"verify": "verify_pass", "handle": "handle"}

TIMELINESS_CLASS = {
    deadlines.Timeliness.NORMAL: "t-normal",
    deadlines.Timeliness.DUE_SOON: "t-soon",
    deadlines.Timeliness.OVERDUE: "t-overdue",
}


def timeliness_of(case: Case, now: dt.datetime | None = None) -> str:
    if not case.is_open:
        return deadlines.Timeliness.NORMAL
    return deadlines.timeliness(start=case.stage_started_at, due=case.due_at, now=now)


def decorate(cases: Iterable[Case]) -> list[Case]:
    """Attach the deadline colour to each case for the templates."""
    now = timezone.now()
    rows = list(cases)
    for case in rows:
        t = timeliness_of(case, now)
        case.timeliness = t  # type: ignore[attr-defined]
        case.timeliness_label = _(deadlines.Timeliness.LABELS[t])  # type: ignore[attr-defined]
        case.timeliness_class = TIMELINESS_CLASS[t]  # type: ignore[attr-defined]
    return rows


def overdue_q(now: dt.datetime | None = None) -> Q:
    from civicgrid.cases.models import OPEN_STATES

    return Q(state__in=sorted(OPEN_STATES), due_at__lt=now or timezone.now())


def mask_phone(phone: str) -> str:
    """138****5678: the first three and last four digits."""
    phone = (phone or "").strip()
    if len(phone) <= 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


@dataclass(frozen=True)
class PageAction:
    action: str
    label: str


def _department_may(user: User, case: Case, action: str) -> bool:
    """The department-side refinements the services check (lead signs/returns/handles)."""
    permission = TRANSITIONS[action].permissions[0]
    ids = sorted(actor_department_ids(user, permission))
    mine = (case.assignments.filter(department_id__in=ids, state__in=ACTIVE_ASSIGNMENT)
            .order_by("role", "id"))
    if action == "sign":
        return mine.filter(role="lead", state="dispatched").exists()
    if action == "return":
        return mine.filter(role="lead").exists()
    if action == "handle":
        return mine.filter(state="signed").exists() or mine.filter(role="co").exclude(
            state="handled").exists()
    if action == "request_extension":
        return mine.exclude(state="handled").exists() and not mine.filter(
            extensions__state=ExtensionState.PENDING).exists()
    return True


def actions_for(user: User, case: Case) -> list[PageAction]:
    """Only the actions this user may take on this case now: ``workflow.actions_for`` (the
    transition table + the same permission and scope check as ``transition``), narrowed by the
    services' own conditions (the lead signs; one pending extension at a time…)."""
    result: list[PageAction] = []
    for api_name in workflow_actions_for(user, case):
        action = api_name.replace("-", "_")
        if action not in PAGE_ACTIONS:
            continue
        name = _TABLE_ACTION.get(action, action)
        t = TRANSITIONS.get(name) or TRANSITIONS["co_handle"]
        if t.role == "department" and not _department_may(user, case, t.action):
            continue
        if action == "decide_extension" and not case.assignments.filter(
                extensions__state=ExtensionState.PENDING).exists():
            continue
        label = _("核查") if action == "verify" else _(TRANSITIONS[name].label)
        result.append(PageAction(action, label))
    return result


def report_grids(user: User, limit: int = 300) -> list[Grid]:
    """Grids a reporter may pick: the current grids inside their reporting scope."""
    scope = scope_for(user, "cases.report")
    if scope.is_empty:
        return []
    qs = Grid.objects.current().filter(scope.code_q("code")).select_related("village")
    return list(qs.order_by("code")[:limit])


def report_areas(user: User, limit: int = 500) -> list[Area]:
    """Townships and villages inside the reporting scope (when no grid is known)."""
    scope = scope_for(user, "cases.report")
    if scope.is_empty or not (scope.everywhere or scope.area_prefixes):
        return []
    qs: QuerySet[Area] = Area.objects.filter(scope.code_q("code"),
                                             level__in=[AreaLevel.TOWNSHIP, AreaLevel.VILLAGE])
    return list(qs.order_by("code")[:limit])


def form_values(request: HttpRequest) -> dict[str, Any]:
    """The posted text fields, to show again after a refused submission (nothing is lost)."""
    return {k: request.POST.get(k, "") for k in request.POST if k != "csrfmiddlewaretoken"}


def error_page(request: HttpRequest, exc: Any, *, template: str = "cases/error.html",
               context: dict[str, Any] | None = None) -> Any:
    """A DomainError as a Chinese message on a page with its HTTP status (404/403/409/400)."""
    from django.shortcuts import render

    data = dict(context or {})
    data["error"] = exc
    return render(request, template, data, status=getattr(exc, "status", 400))
