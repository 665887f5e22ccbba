"""Who is responsible for a case at each stage: looked up from grants and the role matrix.

A centre's operators are the active users of that org unit who may dispatch; a department's
handlers are the users granted a role over it that may handle; a grid's verifiers are those
granted a role over the grid that may verify. Roles are data, so is this.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from civicgrid.accounts.models import User
from civicgrid.cases.models import Case
from civicgrid.core import refcache


def _active() -> QuerySet[User]:
    return User.objects.filter(is_active=True)


def centre_operators(org_unit_id: int | None) -> list[User]:
    """Cached across requests (``core.refcache``: users, grants and the matrix are watched)."""
    if org_unit_id is None:
        return []
    return list(refcache.get(("centre_operators", org_unit_id), lambda: list(
        _active().filter(org_unit_id=org_unit_id,
                         grants__role__permissions__permission="cases.dispatch")
        .distinct().order_by("pk"))))


def department_handlers(department_ids: Iterable[int]) -> list[User]:
    ids = sorted(set(department_ids))
    if not ids:
        return []
    return list(_active().filter(grants__org_unit_id__in=ids,
                                 grants__role__permissions__permission="cases.handle")
                .distinct().order_by("pk"))


def grid_verifiers(case: Case) -> list[User]:
    if case.grid_id is None:
        return []
    code = case.grid.code
    return list(_active().filter(grants__grid_code=code,
                                 grants__role__permissions__permission="cases.verify")
                .distinct().order_by("pk"))


def lead_department_id(case: Case) -> int | None:
    lead = (case.assignments.filter(role="lead", state__in=["dispatched", "signed", "handled"])
            .values_list("department_id", flat=True).first())
    return lead


def reporter(case: Case) -> list[User]:
    user = case.reporter
    return [user] if user is not None and user.is_active else []
