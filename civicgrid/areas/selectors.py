"""Every read of areas and grids goes through these user-scoped selectors."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from civicgrid.accounts.models import User
from civicgrid.accounts.scope import scope_for
from civicgrid.areas.models import Area, Grid

VIEW = "areas.view"


def areas_visible_to(user: User | None) -> QuerySet[Area]:
    scope = scope_for(user, VIEW)
    if scope.is_empty:
        return Area.objects.none()
    q = scope.code_q("code", with_org_areas=True)
    if not scope.everywhere:
        # a grid member sees the village/community their grid lies in
        q |= Q(code__in=sorted({code[:12] for code in scope.grid_codes}))
    return Area.objects.filter(q).select_related("parent")


def grids_visible_to(user: User | None, *, include_history: bool = False) -> QuerySet[Grid]:
    scope = scope_for(user, VIEW)
    if scope.is_empty:
        return Grid.objects.none()
    qs = Grid.objects.all() if include_history else Grid.objects.current()
    return qs.filter(scope.code_q("code", with_org_areas=True)).select_related("village")


def area_for(user: User | None, pk: int) -> Area:
    from civicgrid.core.errors import NotFound

    try:
        return areas_visible_to(user).get(pk=pk)
    except Area.DoesNotExist:
        raise NotFound("区划不存在。", code="area_not_found") from None


def grid_for(user: User | None, pk: int) -> Grid:
    from civicgrid.core.errors import NotFound

    try:
        return grids_visible_to(user, include_history=True).get(pk=pk)
    except Grid.DoesNotExist:
        raise NotFound("网格不存在。", code="grid_not_found") from None
