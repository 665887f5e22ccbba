"""Every write to users, roles and grants. Keyword-only arguments, explicit actor."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from rest_framework.authtoken.models import Token

from civicgrid.accounts.models import (
    OrgUnit,
    PasswordHistory,
    Role,
    RoleGrant,
    RolePermission,
    User,
)
from civicgrid.accounts.permissions import ADMIN_ROLE_CODES, PERMISSIONS, ROLES
from civicgrid.accounts.scope import can, forget_cached_grants
from civicgrid.areas.models import Area
from civicgrid.core import audit
from civicgrid.core.errors import Conflict, PermissionDenied, ValidationFailed


def seed_roles() -> int:
    """Create the default roles and matrix where missing (existing edits are kept)."""
    created = 0
    with transaction.atomic():
        for code, name, is_admin, perms in ROLES:
            role, was_created = Role.objects.get_or_create(
                code=code, defaults={"name": name, "is_admin_role": is_admin}
            )
            if was_created:
                created += 1
                RolePermission.objects.bulk_create(
                    [RolePermission(role=role, permission=p) for p in perms]
                )
    return created


def _check_password(user: User, password: str) -> None:
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        raise ValidationFailed(
            "密码不符合要求：" + "；".join(exc.messages), code="weak_password",
            fields={"password": exc.messages},
        ) from None


def set_password(*, actor: User | None, user: User, password: str) -> None:
    """Validate (complexity, no reuse of the last N), store, remember in the history."""
    _check_password(user, password)
    with transaction.atomic():
        if user.password:
            PasswordHistory.objects.create(user=user, password=user.password)
        user.set_password(password)
        user.password_changed_at = timezone.now()
        user.save(update_fields=["password", "password_changed_at"])
        audit.record(actor=actor or user, action="user.password_set", target=f"user:{user.username}")


def create_user(
    *,
    actor: User | None,
    username: str,
    password: str,
    display_name: str = "",
    org_unit: OrgUnit | None = None,
    email: str = "",
) -> User:
    if actor is not None and not can(actor, "users.manage"):
        raise PermissionDenied("只有系统管理员可以创建账号。", code="not_user_admin")
    if User.objects.filter(username=username).exists():
        raise Conflict(f"账号 {username} 已存在。", code="username_taken")
    user = User(username=username, display_name=display_name, org_unit=org_unit, email=email)
    _check_password(user, password)
    with transaction.atomic():
        user.set_password(password)
        user.save()
        audit.record(actor=actor, action="user.create", target=f"user:{username}",
                     actor_name=None if actor else "system")
    return user


def grant_role(
    *,
    actor: User | None,
    user: User,
    role_code: str,
    area: Area | None = None,
    grid_code: str = "",
    org_unit: OrgUnit | None = None,
) -> RoleGrant:
    """Grant a role over one scope. The three admin roles (三员) never share a person."""
    if actor is not None:
        if not can(actor, "roles.manage"):
            raise PermissionDenied("只有安全管理员可以授权。", code="not_security_admin")
        if actor.pk == user.pk:
            raise PermissionDenied("不能给自己授权。", code="self_grant")
    try:
        role = Role.objects.get(code=role_code)
    except Role.DoesNotExist:
        raise ValidationFailed(f"角色 {role_code} 不存在。", code="unknown_role") from None
    if sum(bool(x) for x in (area, grid_code, org_unit)) > 1:
        raise ValidationFailed("一条授权只能有一个范围（区划、网格或部门）。", code="grant_scope")
    held = set(user.grants.values_list("role__code", flat=True))
    if role.code in ADMIN_ROLE_CODES and held - {role.code}:
        raise Conflict("三员角色不能与其他角色兼任。", code="admin_roles_separated")
    if held & ADMIN_ROLE_CODES and role.code not in held:
        raise Conflict("三员角色不能与其他角色兼任。", code="admin_roles_separated")
    with transaction.atomic():
        grant = RoleGrant.objects.create(
            user=user, role=role, area=area, grid_code=grid_code, org_unit=org_unit,
            granted_by=actor,
        )
        audit.record(
            actor=actor, action="grant.create", target=f"user:{user.username}",
            data={"role": role.code, "area": area.code if area else "", "grid": grid_code,
                  "org_unit": org_unit.code if org_unit else ""},
            actor_name=None if actor else "system",
        )
    forget_cached_grants(user)
    return grant


def set_role_permissions(*, actor: User, role: Role, permissions: Iterable[str]) -> None:
    if not can(actor, "roles.manage"):
        raise PermissionDenied("只有安全管理员可以修改权限矩阵。", code="not_security_admin")
    wanted = set(permissions)
    unknown = wanted - set(PERMISSIONS)
    if unknown:
        raise ValidationFailed(f"未知权限：{', '.join(sorted(unknown))}", code="unknown_permission")
    with transaction.atomic():
        RolePermission.objects.filter(role=role).exclude(permission__in=wanted).delete()
        have = set(RolePermission.objects.filter(role=role).values_list("permission", flat=True))
        RolePermission.objects.bulk_create(
            [RolePermission(role=role, permission=p) for p in sorted(wanted - have)]
        )
        audit.record(actor=actor, action="role.permissions_set", target=f"role:{role.code}",
                     data={"permissions": sorted(wanted)})


def issue_api_token(*, user: User) -> str:
    token, _created = Token.objects.get_or_create(user=user)
    return token.key
