"""What part of the jurisdiction a user may act on for one permission.

A scope is a set of code prefixes (area grants hold for everything below the area), a set
of grid codes (a grid member's grid) and a set of org units (a department's own work).
Computed once per user object from the stored grants and the role → permission matrix.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q

from civicgrid.accounts.models import RoleGrant, User
from civicgrid.core import refcache


@dataclass(frozen=True)
class Scope:
    everywhere: bool = False
    area_prefixes: frozenset[str] = field(default_factory=frozenset)
    grid_codes: frozenset[str] = field(default_factory=frozenset)
    org_unit_ids: frozenset[int] = field(default_factory=frozenset)
    # the areas the granted org units serve: reference data there is visible to a department,
    # but a department's *work* is what is assigned to it (``org_unit_ids``), not its area
    org_area_prefixes: frozenset[str] = field(default_factory=frozenset)

    @property
    def is_empty(self) -> bool:
        return not (self.everywhere or self.area_prefixes or self.grid_codes or self.org_unit_ids)

    def code_q(self, field_name: str = "code", *, with_org_areas: bool = False) -> Q:
        """A filter on a hierarchical code column (area codes, grid codes) for this scope.

        Grid grants match the grid itself. Department grants match codes only with
        ``with_org_areas`` (reference data of the area the department serves).
        """
        if self.everywhere:
            return Q()
        q = Q(pk__in=[])
        prefixes = self.area_prefixes | (self.org_area_prefixes if with_org_areas else frozenset())
        for prefix in sorted(prefixes):
            q |= Q(**{f"{field_name}__startswith": prefix})
        if self.grid_codes:
            q |= Q(**{f"{field_name}__in": sorted(self.grid_codes)})
        return q

    def covers_code(self, code: str, *, with_org_areas: bool = False) -> bool:
        if self.everywhere:
            return True
        prefixes = self.area_prefixes | (self.org_area_prefixes if with_org_areas else frozenset())
        return code in self.grid_codes or any(code.startswith(p) for p in prefixes)


Grants = list[tuple[RoleGrant, frozenset[str]]]


def _load_grants(user_id: int) -> Grants:
    rows = (
        RoleGrant.objects.filter(user_id=user_id)
        .select_related("role", "area", "org_unit__area")
        .prefetch_related("role__permissions")
    )
    return [(g, frozenset(p.permission for p in g.role.permissions.all())) for g in rows]


def _grants(user: User) -> Grants:
    """The user's grants with their roles' permissions: on the user object for one request,
    and across requests in ``core.refcache`` (any grant, role or matrix change reloads)."""
    cached = getattr(user, "_civicgrid_grants", None)
    if cached is None:
        user_id = user.pk
        cached = refcache.get(("grants", user_id), lambda: _load_grants(user_id))
        user._civicgrid_grants = cached  # type: ignore[attr-defined]
    return cached


def forget_cached_grants(user: User) -> None:
    if hasattr(user, "_civicgrid_grants"):
        del user._civicgrid_grants  # type: ignore[attr-defined]


def scope_for(user: User | None, permission: str) -> Scope:
    if user is None or not user.is_authenticated or not user.is_active:
        return Scope()
    everywhere = False
    prefixes: set[str] = set()
    grids: set[str] = set()
    orgs: set[int] = set()
    org_areas: set[str] = set()
    for grant, perms in _grants(user):
        if permission not in perms:
            continue
        if grant.area is not None:
            prefixes.add(grant.area.code)
        elif grant.grid_code:
            grids.add(grant.grid_code)
        elif grant.org_unit is not None:
            orgs.add(grant.org_unit_id)
            org_areas.add(grant.org_unit.area.code)
        else:
            everywhere = True
    return Scope(everywhere, frozenset(prefixes), frozenset(grids), frozenset(orgs),
                 frozenset(org_areas))


def can(user: User | None, permission: str) -> bool:
    return not scope_for(user, permission).is_empty


def permissions_of(user: User | None) -> frozenset[str]:
    if user is None or not user.is_authenticated or not user.is_active:
        return frozenset()
    result: set[str] = set()
    for _grant, perms in _grants(user):
        result |= perms
    return frozenset(result)


def roles_of(user: User | None) -> list[str]:
    if user is None or not user.is_authenticated:
        return []
    seen: list[str] = []
    for grant, _perms in _grants(user):
        if grant.role.code not in seen:
            seen.append(grant.role.code)
    return seen
