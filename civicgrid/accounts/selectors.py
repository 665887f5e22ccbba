"""Reads of users, roles, grants and org units, scoped to the asking user."""

from __future__ import annotations

from django.db.models import QuerySet

from civicgrid.accounts.models import OrgUnit, Role, RoleGrant, User
from civicgrid.accounts.scope import can, scope_for


def users_visible_to(user: User | None) -> QuerySet[User]:
    """The system admin manages accounts; the security admin grants roles to them."""
    if can(user, "users.manage") or can(user, "roles.manage"):
        return User.objects.all()
    return User.objects.none()


def roles_visible_to(user: User | None) -> QuerySet[Role]:
    if can(user, "roles.manage"):
        return Role.objects.prefetch_related("permissions")
    return Role.objects.none()


def org_units_visible_to(user: User | None) -> QuerySet[OrgUnit]:
    scope = scope_for(user, "areas.view")
    if scope.is_empty:
        return OrgUnit.objects.none()
    return OrgUnit.objects.filter(scope.code_q("area__code", with_org_areas=True)).select_related("area")


def grants_of(user: User) -> QuerySet[RoleGrant]:
    return RoleGrant.objects.filter(user=user).select_related("role", "area", "org_unit")
