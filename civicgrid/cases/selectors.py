"""Every read of cases goes through ``cases_visible_to`` (pages, API, exports, search)."""

from __future__ import annotations

import functools
from typing import Any

from django.core.exceptions import EmptyResultSet, FullResultSet
from django.db import DEFAULT_DB_ALIAS
from django.db.models import Exists, OuterRef, Q, QuerySet

from civicgrid.accounts.models import User
from civicgrid.accounts.scope import Scope, can, scope_for
from civicgrid.cases.models import Assignment, Case, CaseEvent
from civicgrid.core.errors import NotFound


def cases_visible_to(user: User | None) -> QuerySet[Case]:
    """Area grants: cases in the area; grid grants: the grid's cases; departments: cases
    assigned to them (ever); residents: the cases they reported."""
    return Case.objects.filter(visible_q(user)).select_related("category", "category__parent", "owner", "grid")


def visible_q(user: User | None) -> Q:
    """The condition of ``cases_visible_to`` alone."""
    return _visible_q(scope_for(user, "cases.view"), _own_id(user))


def _own_id(user: User | None) -> int | None:
    if user is not None and getattr(user, "pk", None) and can(user, "cases.view_own"):
        return int(user.pk)
    return None


def _visible_q(scope: Scope, own_id: int | None) -> Q:
    q = Q(pk__in=[])
    if scope.everywhere:
        q = Q()
    elif not scope.is_empty:
        q = scope.code_q("area_code")
        if scope.org_unit_ids:
            q |= Exists(Assignment.objects.filter(case=OuterRef("pk"),
                                                  department_id__in=sorted(scope.org_unit_ids)))
    if own_id is not None:
        q |= Q(reporter_id=own_id)
    return q


def visible_sql(user: User | None, using: str = DEFAULT_DB_ALIAS) -> tuple[str, tuple[Any, ...]]:
    """``visible_q(user)`` as an SQL condition on ``cases_case`` with its parameters, for the
    hand-written query run on every report (the suspected-duplicate search): Django compiles
    the condition once per scope and database, not once per request."""
    return _visible_sql(using, scope_for(user, "cases.view"), _own_id(user))


@functools.lru_cache(maxsize=1024)
def _visible_sql(using: str, scope: Scope, own_id: int | None) -> tuple[str, tuple[Any, ...]]:
    query = Case.objects.filter(_visible_q(scope, own_id)).query
    try:
        sql, params = query.get_compiler(using).compile(query.where)
    except EmptyResultSet:
        return "1 = 0", ()
    except FullResultSet:
        return "1 = 1", ()
    return (f"({sql})" if sql else "1 = 1"), tuple(params)


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
