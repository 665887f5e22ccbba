"""Work lists: the centre's queues by state, a department's to-do, the leader's overdue and
supervised cases, a reporter's own cases, a verifier's handled cases. All through
``cases_visible_to``."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.accounts.scope import can, scope_for
from civicgrid.cases.models import (
    OPEN_STATES,
    Case,
    ExtensionRequest,
    State,
)
from civicgrid.cases.selectors import cases_visible_to
from civicgrid.cases.views.common import decorate, error_page, overdue_q
from civicgrid.core.errors import PermissionDenied

PAGE_SIZE = 50
_OPEN_ORDER = [State.REPORTED, State.REGISTERED, State.DISPATCHED, State.IN_PROGRESS, State.HANDLED]
_CLOSED_ORDER = [State.CLOSED, State.REJECTED, State.MERGED]


def _page(request: HttpRequest, qs: QuerySet[Case]) -> Any:
    return Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))


def _render(request: HttpRequest, *, title: str, tabs: list[dict[str, Any]],
            qs: QuerySet[Case], extra: dict[str, Any] | None = None) -> HttpResponse:
    page = _page(request, qs)
    context = {"title": title, "tabs": tabs, "page": page, "rows": decorate(page.object_list),
               "query": request.GET.get("q", "")}
    context.update(extra or {})
    return render(request, "cases/list.html", context)


def _tab(url: str, key: str, label: str, count: int, active: str) -> dict[str, Any]:
    return {"key": key, "label": label, "count": count, "url": f"{url}?tab={key}",
            "active": key == active}


def case_list(request: HttpRequest) -> HttpResponse:
    """The centre's queues: one tab per state, with counts, plus 已超期."""
    if not can(request.user, "cases.view"):
        return error_page(request, PermissionDenied(_("您无权查看事件。")))
    visible = cases_visible_to(request.user)
    counts = dict(visible.order_by().values_list("state").annotate(n=Count("id")))
    overdue = visible.filter(overdue_q())
    active = request.GET.get("tab") or State.REPORTED
    url = reverse("cases:list")
    tabs = [_tab(url, s.value, _(s.label), counts.get(s.value, 0), active) for s in _OPEN_ORDER]
    tabs.append(_tab(url, "overdue", _("已超期"), overdue.count(), active))
    tabs += [_tab(url, s.value, _(s.label), counts.get(s.value, 0), active) for s in _CLOSED_ORDER]
    if active == "overdue":
        qs = overdue.order_by("due_at")
    elif active in State.values:
        qs = visible.filter(state=active)
        # a closed case has its closing time: the condition lets the partial index give the order
        qs = (qs.order_by("due_at", "id") if active in OPEN_STATES
              else qs.filter(closed_at__isnull=False).order_by("-closed_at", "-id"))
    else:
        qs = visible
    q = request.GET.get("q", "").strip()
    if q:
        qs = visible.filter(Q(code=q.upper()) | Q(title__icontains=q))
        for tab in tabs:
            tab["active"] = False
    return _render(request, title=_("事件办理"), tabs=tabs, qs=qs, extra={"search": True})


def department_queue(request: HttpRequest) -> HttpResponse:
    """A department's to-do: to sign, in progress, overdue, extension requests."""
    dept_ids = sorted(scope_for(request.user, "cases.view").org_unit_ids)
    if not dept_ids:
        return error_page(request, PermissionDenied(_("您不属于任何职能部门。")))
    visible = cases_visible_to(request.user)
    mine = Q(assignments__department_id__in=dept_ids)
    to_sign = visible.filter(mine, state=State.DISPATCHED,
                             assignments__state="dispatched").distinct()
    in_progress = visible.filter(mine, state=State.IN_PROGRESS,
                                 assignments__state="signed").distinct()
    overdue = visible.filter(mine, overdue_q(),
                             assignments__state__in=["dispatched", "signed"]).distinct()
    extensions = (ExtensionRequest.objects.filter(assignment__department_id__in=dept_ids,
                                                  assignment__case__in=visible)
                  .select_related("assignment__case").order_by("-created_at"))
    active = request.GET.get("tab") or "to_sign"
    url = reverse("cases:department")
    sources = {"to_sign": to_sign.order_by("due_at"), "in_progress": in_progress.order_by("due_at"),
               "overdue": overdue.order_by("due_at")}
    tabs = [_tab(url, "to_sign", _("待签收"), to_sign.count(), active),
            _tab(url, "in_progress", _("处置中"), in_progress.count(), active),
            _tab(url, "overdue", _("已超期"), overdue.count(), active),
            _tab(url, "extensions", _("延期申请"), extensions.count(), active)]
    qs = sources.get(active, visible.none())
    return _render(request, title=_("部门待办"), tabs=tabs, qs=qs,
                   extra={"extensions": list(extensions[:PAGE_SIZE]) if active == "extensions" else None})


def supervision(request: HttpRequest) -> HttpResponse:
    """The leader's view: overdue and supervised open cases."""
    if not can(request.user, "cases.supervise"):
        return error_page(request, PermissionDenied(_("您无权督办。")))
    visible = cases_visible_to(request.user)
    overdue = visible.filter(overdue_q()).order_by("due_at")
    supervised = visible.filter(state__in=sorted(OPEN_STATES), supervise_level__gt=0).order_by(
        "-supervise_level", "due_at")
    active = request.GET.get("tab") or "overdue"
    url = reverse("cases:supervision")
    tabs = [_tab(url, "overdue", _("超期事件"), overdue.count(), active),
            _tab(url, "supervised", _("督办事件"), supervised.count(), active)]
    return _render(request, title=_("督办"), tabs=tabs,
                   qs=supervised if active == "supervised" else overdue)


def my_reports(request: HttpRequest) -> HttpResponse:
    """我的上报 / 我反映的问题, and those waiting for the reporter's rating."""
    visible = cases_visible_to(request.user).filter(reporter=request.user)
    to_rate = visible.filter(state=State.CLOSED, satisfaction__isnull=True)
    active = request.GET.get("tab") or "all"
    url = reverse("cases:mine")
    tabs = [_tab(url, "all", _("全部"), visible.count(), active),
            _tab(url, "open", _("办理中"), visible.filter(state__in=sorted(OPEN_STATES)).count(), active)]
    if can(request.user, "cases.callback_own"):
        tabs.append(_tab(url, "to_rate", _("待评价"), to_rate.count(), active))
    qs = {"open": visible.filter(state__in=sorted(OPEN_STATES)), "to_rate": to_rate}.get(active, visible)
    return _render(request, title=_("我的上报"), tabs=tabs, qs=qs.order_by("-created_at"))


def verify_queue(request: HttpRequest) -> HttpResponse:
    """Handled cases waiting for verification in the verifier's grid or area."""
    scope = scope_for(request.user, "cases.verify")
    if scope.is_empty:
        return error_page(request, PermissionDenied(_("您无权核查。")))
    qs = cases_visible_to(request.user).filter(scope.code_q("area_code"), state=State.HANDLED)
    url = reverse("cases:verify")
    tabs = [_tab(url, "handled", _("待核查"), qs.count(), "handled")]
    return _render(request, title=_("待核查"), tabs=tabs, qs=qs.order_by("due_at"),
                   extra={"at": timezone.now()})
