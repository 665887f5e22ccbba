"""Every read of cases goes through ``cases_visible_to`` (pages, API, exports, search)."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from civicgrid.accounts.models import User
from civicgrid.accounts.scope import can, scope_for
from civicgrid.cases.models import Assignment, Case, CaseEvent
from civicgrid.core.errors import NotFound


def cases_visible_to(user: User | None) -> QuerySet[Case]:
    """Area grants: cases in the area; grid grants: the grid's cases; departments: cases
    assigned to them (ever); residents: the cases they reported."""
    return Case.objects.filter(visible_q(user)).select_related("category", "category__parent", "owner", "grid")


def visible_q(user: User | None) -> Q:
    """The condition of ``cases_visible_to`` alone, for a query that wants nothing else of it
    (the suspected-duplicate search of every report)."""
    scope = scope_for(user, "cases.view")
    q = Q(pk__in=[])
    if scope.everywhere:
        q = Q()
    elif not scope.is_empty:
        q = scope.code_q("area_code")
        if scope.org_unit_ids:
            q |= Exists(Assignment.objects.filter(case=OuterRef("pk"),
                                                  department_id__in=sorted(scope.org_unit_ids)))
    if user is not None and getattr(user, "pk", None) and can(user, "cases.view_own"):
        q |= Q(reporter=user)
    return q


def case_for(user: User | None, case_id: int) -> Case:
    case = cases_visible_to(user).filter(pk=case_id).first()
    if case is None:
        raise NotFound("事件不存在。", code="case_not_found")
    return case


def case_by_code(user: User | None, code: str) -> Case:
    case = cases_visible_to(user).filter(code=code.strip().upper()).first()
    if case is None:
        raise NotFound("事件不存在。", code="case_not_found")
    return case


def timeline_of(case: Case) -> QuerySet[CaseEvent]:
    """The timeline of a case the caller already obtained through a scoped selector."""
    return case.events.select_related("actor", "actor_org").order_by("at", "id")
