"""Every write to users, roles and grants. Keyword-only arguments, explicit actor."""

from __future__ import annotations

import secrets
import string
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
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
from civicgrid.core import audit, refcache
from civicgrid.core.errors import Conflict, PermissionDenied, ValidationFailed

# Held only by the three admin roles (三员); no business role may carry them.
ADMIN_ONLY_PERMISSIONS = frozenset({"users.manage", "roles.manage", "audit.view"})


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
        if created:
            refcache.bump()  # bulk_create sends no signals
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
    """Validate (complexity, no reuse of the last N), store, remember in the history.

    A password set by anyone but the user (an admin's reset) must be changed at next login.
    Only the system admin sets another person's password, and never a 三员 account's (that
    would let one admin take over another's role); the system itself (actor None) may.
    """
    if actor is not None and actor.pk != user.pk:
        if not can(actor, "users.manage"):
            raise PermissionDenied("只有系统管理员可以重置他人的密码。", code="not_user_admin")
        if user.grants.filter(role__code__in=sorted(ADMIN_ROLE_CODES)).exists():
            raise PermissionDenied("三员账号的密码只能由本人修改，或在服务器上重置。",
                                   code="admin_roles_separated")
    _check_password(user, password)
    with transaction.atomic():
        if user.password:
            PasswordHistory.objects.create(user=user, password=user.password)
        user.set_password(password)
        user.password_changed_at = timezone.now()
        user.must_change_password = actor is not None and actor.pk != user.pk
        user.save(update_fields=["password", "password_changed_at", "must_change_password"])
        audit.record(actor=actor or user, action="user.password_set", target=f"user:{user.username}")


def temporary_password() -> str:
    """A random password that passes the policy: letters of both cases, digits and a symbol."""
    alphabet = string.ascii_letters + string.digits
    core = "".join(secrets.choice(alphabet) for _ in range(max(settings.PASSWORD_MIN_LENGTH, 12)))
    return (core + secrets.choice(string.ascii_uppercase) + secrets.choice(string.ascii_lowercase)
            + secrets.choice(string.digits) + secrets.choice("#%+-=@"))


def reset_password(*, actor: User, user: User) -> str:
    """Give the user a temporary password (returned once, never stored in clear), to be
    replaced at the next login. Audited like every password change."""
    password = temporary_password()
    set_password(actor=actor, user=user, password=password)
    return password


def create_user(
    *,
    actor: User | None,
    username: str,
    password: str,
    display_name: str = "",
    org_unit: OrgUnit | None = None,
    email: str = "",
    must_change_password: bool = True,
) -> User:
    """A new account. Its first password was chosen by someone else, so by default the user
    must replace it at first login (the demo's published logins opt out)."""
    if actor is not None and not can(actor, "users.manage"):
        raise PermissionDenied("只有系统管理员可以创建账号。", code="not_user_admin")
    if User.objects.filter(username=username).exists():
        raise Conflict(f"账号 {username} 已存在。", code="username_taken")
    user = User(username=username, display_name=display_name, org_unit=org_unit, email=email,
                must_change_password=must_change_password)
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
    if role.is_admin_role:
        raise PermissionDenied("三员角色的权限固定，不能修改。", code="admin_roles_fixed")
    if wanted & ADMIN_ONLY_PERMISSIONS:
        raise PermissionDenied("账号管理、授权、审计权限只属于三员角色。", code="admin_roles_separated")
    with transaction.atomic():
        RolePermission.objects.filter(role=role).exclude(permission__in=wanted).delete()
        have = set(RolePermission.objects.filter(role=role).values_list("permission", flat=True))
        RolePermission.objects.bulk_create(
            [RolePermission(role=role, permission=p) for p in sorted(wanted - have)]
        )
        refcache.bump()  # every holder's grants change; bulk_create sends no signals
        audit.record(actor=actor, action="role.permissions_set", target=f"role:{role.code}",
                     data={"permissions": sorted(wanted)})


def issue_api_token(*, user: User) -> str:
    token, _created = Token.objects.get_or_create(user=user)
    return token.key


def _require_user_admin(actor: User | None) -> None:
    if actor is not None and not can(actor, "users.manage"):
        raise PermissionDenied("只有系统管理员可以管理账号。", code="not_user_admin")


def update_user(
    *,
    actor: User | None,
    user: User,
    display_name: str,
    email: str = "",
    org_unit: OrgUnit | None = None,
    is_active: bool = True,
) -> User:
    """Edit an account's profile, or deactivate it (accounts are never deleted)."""
    _require_user_admin(actor)
    if actor is not None and actor.pk == user.pk and not is_active:
        raise PermissionDenied("不能停用自己的账号。", code="self_deactivate")
    before = {"display_name": user.display_name, "email": user.email,
              "org_unit": user.org_unit.code if user.org_unit else "", "is_active": user.is_active}
    after = {"display_name": display_name, "email": email,
             "org_unit": org_unit.code if org_unit else "", "is_active": is_active}
    changed = {k: [before[k], v] for k, v in after.items() if before[k] != v}
    if not changed:
        return user
    with transaction.atomic():
        user.display_name, user.email, user.org_unit, user.is_active = (
            display_name, email, org_unit, is_active)
        user.save(update_fields=["display_name", "email", "org_unit", "is_active"])
        action = "user.deactivate" if changed.get("is_active") == [True, False] else "user.update"
        audit.record(actor=actor, action=action, target=f"user:{user.username}", data=changed,
                     actor_name=None if actor else "system")
    return user


def unlock_user(*, actor: User | None, user: User) -> int:
    """Lift a lockout after failed logins (django-axes); returns how many attempt rows were cleared."""
    from axes.utils import reset as axes_reset

    _require_user_admin(actor)
    with transaction.atomic():
        cleared = axes_reset(username=user.get_username())
        audit.record(actor=actor, action="user.unlock", target=f"user:{user.username}",
                     data={"cleared": cleared}, actor_name=None if actor else "system")
    return cleared


def create_role(*, actor: User, code: str, name: str, description: str = "") -> Role:
    """A new business role. The three admin roles are fixed; new roles are never admin roles."""
    if not can(actor, "roles.manage"):
        raise PermissionDenied("只有安全管理员可以管理角色。", code="not_security_admin")
    if Role.objects.filter(code=code).exists():
        raise Conflict(f"角色 {code} 已存在。", code="role_code_taken")
    with transaction.atomic():
        role = Role.objects.create(code=code, name=name, description=description, is_admin_role=False)
        audit.record(actor=actor, action="role.create", target=f"role:{code}", data={"name": name})
    return role


def update_role(*, actor: User, role: Role, name: str, description: str = "") -> Role:
    if not can(actor, "roles.manage"):
        raise PermissionDenied("只有安全管理员可以管理角色。", code="not_security_admin")
    with transaction.atomic():
        role.name, role.description = name, description
        role.save(update_fields=["name", "description"])
        audit.record(actor=actor, action="role.update", target=f"role:{role.code}",
                     data={"name": name, "description": description})
    return role


def revoke_grant(*, actor: User, grant: RoleGrant) -> None:
    if not can(actor, "roles.manage"):
        raise PermissionDenied("只有安全管理员可以撤销授权。", code="not_security_admin")
    if actor.pk == grant.user_id:
        raise PermissionDenied("不能撤销自己的授权。", code="self_grant")
    user = grant.user
    with transaction.atomic():
        data = {"role": grant.role.code, "area": grant.area.code if grant.area else "",
                "grid": grant.grid_code, "org_unit": grant.org_unit.code if grant.org_unit else ""}
        grant.delete()
        audit.record(actor=actor, action="grant.revoke", target=f"user:{user.username}", data=data)
    forget_cached_grants(user)


# --- TOTP second factor (django-otp) ---------------------------------------------------------


def _require_self_or_user_admin(actor: User, user: User) -> None:
    if actor.pk != user.pk and not can(actor, "users.manage"):
        raise PermissionDenied("只能管理自己的双因素认证。", code="not_own_device")


def start_totp(*, actor: User, user: User) -> TOTPDevice:
    """Begin enabling TOTP: an unconfirmed device (reused if one is pending) to show as a QR code."""
    if actor.pk != user.pk:
        raise PermissionDenied("只能为自己启用双因素认证。", code="not_own_device")
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="TOTP", confirmed=False)
    return device


def confirm_totp(*, actor: User, user: User, token: str) -> TOTPDevice:
    """Confirm the pending device with a code from the app; other devices of the user are removed."""
    if actor.pk != user.pk:
        raise PermissionDenied("只能为自己启用双因素认证。", code="not_own_device")
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    if device is None:
        raise ValidationFailed("没有待确认的认证器，请重新开始。", code="no_pending_device")
    if not device.verify_token(token.strip()):
        raise ValidationFailed("动态验证码不正确。", code="otp_invalid", fields={"token": ["动态验证码不正确。"]})
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        audit.record(actor=actor, action="otp.enable", target=f"user:{user.username}")
    return device


def disable_totp(*, actor: User, user: User) -> int:
    """Remove the user's TOTP devices (by the user, or by the system admin for a lost phone)."""
    _require_self_or_user_admin(actor, user)
    with transaction.atomic():
        count, _ = TOTPDevice.objects.filter(user=user).delete()
        if count:
            audit.record(actor=actor, action="otp.disable", target=f"user:{user.username}")
    return count
