"""Admin for the 三员: users (系统管理员), roles, the matrix and grants (安全管理员).

Every write goes through ``civicgrid.accounts.services`` (which checks the actor and audits).
A service's refusal is shown as a form error: forms try the service in a rolled-back
transaction first (``dry_run``).
"""

from __future__ import annotations

from typing import Any

from axes.models import AccessAttempt
from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from civicgrid.accounts import services
from civicgrid.accounts.models import OrgUnit, Role, RoleGrant, RolePermission, User
from civicgrid.accounts.permissions import PERMISSIONS
from civicgrid.areas.models import Area
from civicgrid.core.admin_base import CivicModelAdmin, dry_run
from civicgrid.core.errors import DomainError


def locked_usernames(usernames: list[str]) -> set[str]:
    """Which of these accounts django-axes currently refuses."""
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    rows = AccessAttempt.objects.filter(username__in=usernames, attempt_time__gte=since)
    return {r.username for r in rows if r.failures_since_start >= settings.AXES_FAILURE_LIMIT}


# --- users (系统管理员: users.manage) ---------------------------------------------------------


class UserCreateForm(forms.ModelForm):
    password1 = forms.CharField(label="初始密码", strip=False, widget=forms.PasswordInput)
    password2 = forms.CharField(label="再次输入", strip=False, widget=forms.PasswordInput)
    actor: User

    class Meta:
        model = User
        fields = ["username", "display_name", "email", "org_unit"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        one, two = data.get("password1"), data.get("password2")
        if one and two and one != two:
            self.add_error("password2", "两次输入的密码不一致。")
        elif one and data.get("username"):
            try:
                validate_password(one, user=User(username=data["username"]))
            except ValidationError as exc:
                self.add_error("password1", exc)
        return data


@admin.register(User)
class UserAdmin(CivicModelAdmin):
    view_permission = manage_permission = "users.manage"
    list_display = ["username", "display_name", "org_unit", "is_active", "role_names",
                    "locked", "password_changed_at", "last_login"]
    list_filter = ["is_active", "org_unit__kind"]
    search_fields = ["username", "display_name", "email"]
    list_select_related = ["org_unit"]
    fields = ["username", "display_name", "email", "org_unit", "is_active", "role_names",
              "password_changed_at", "last_login", "date_joined"]
    readonly_fields = ["username", "role_names", "password_changed_at", "last_login", "date_joined"]
    actions = ["unlock", "reset_password", "deactivate", "reset_totp"]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if obj is None:
            return ["username", "display_name", "email", "org_unit", "password1", "password2"]
        return self.fields

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [] if obj is None else self.readonly_fields

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any):  # type: ignore[no-untyped-def]
        if obj is None:
            kwargs["form"] = UserCreateForm
        form = super().get_form(request, obj, change=change, **kwargs)
        form.actor = request.user
        return form

    def get_changelist_instance(self, request: HttpRequest):  # type: ignore[no-untyped-def]
        cl = super().get_changelist_instance(request)
        self._locked = locked_usernames([u.username for u in cl.result_list])
        return cl

    @admin.display(description="角色")
    def role_names(self, obj: User) -> str:
        return "、".join(sorted({g.role.name for g in obj.grants.select_related("role")})) or "—"

    @admin.display(description="已锁定", boolean=True)
    def locked(self, obj: User) -> bool:
        return obj.username in getattr(self, "_locked", set())

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        data = form.cleaned_data
        if not change:
            created = services.create_user(
                actor=request.user, username=data["username"], password=data["password1"],  # type: ignore[arg-type]
                display_name=data.get("display_name", ""), org_unit=data.get("org_unit"),
                email=data.get("email", ""),
            )
            obj.pk = obj.id = created.pk
            return
        fresh = User.objects.get(pk=obj.pk)
        services.update_user(actor=request.user, user=fresh, display_name=obj.display_name,  # type: ignore[arg-type]
                             email=obj.email, org_unit=obj.org_unit, is_active=obj.is_active)

    def _each(self, request: HttpRequest, queryset: QuerySet[User], call, done: str) -> None:  # type: ignore[no-untyped-def]
        count = 0
        for user in queryset:
            try:
                call(user)
                count += 1
            except DomainError as exc:
                self.message_user(request, f"{user.username}：{exc.message}", messages.ERROR)
        if count:
            self.message_user(request, done.format(count=count), messages.SUCCESS)

    @admin.action(description="解除登录锁定")
    def unlock(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        self._each(request, queryset, lambda u: services.unlock_user(actor=request.user, user=u),  # type: ignore[arg-type]
                   "已解锁 {count} 个账号。")

    @admin.action(description="重置密码（生成临时密码，下次登录须修改）")
    def reset_password(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        from django.contrib import messages

        from civicgrid.core.errors import DomainError

        for user in queryset:
            try:
                temporary = services.reset_password(actor=request.user, user=user)  # type: ignore[arg-type]
            except DomainError as exc:
                messages.error(request, f"{user.username}：{exc.message}")
                continue
            messages.warning(request, f"{user.username} 的临时密码（只显示这一次）：{temporary}")

    @admin.action(description="停用账号")
    def deactivate(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        self._each(request, queryset, lambda u: services.update_user(
            actor=request.user, user=u, display_name=u.display_name, email=u.email,  # type: ignore[arg-type]
            org_unit=u.org_unit, is_active=False), "已停用 {count} 个账号。")

    @admin.action(description="重置双因素认证（手机丢失时）")
    def reset_totp(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        self._each(request, queryset, lambda u: services.disable_totp(actor=request.user, user=u),  # type: ignore[arg-type]
                   "已重置 {count} 个账号的双因素认证。")


@admin.register(OrgUnit)
class OrgUnitAdmin(CivicModelAdmin):
    view_permission = manage_permission = "orgs.manage"
    list_display = ["code", "name", "kind", "department_type", "area", "is_active"]
    list_filter = ["kind", "department_type", "is_active"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["area"]
    list_select_related = ["area"]


# --- roles, matrix, grants (安全管理员: roles.manage) -----------------------------------------


class RoleForm(forms.ModelForm):
    permission_codes = forms.MultipleChoiceField(
        label="权限", required=False, widget=forms.CheckboxSelectMultiple,
        choices=[(code, f"{code} · {label}") for code, label in PERMISSIONS.items()],
    )
    actor: User

    class Meta:
        model = Role
        fields = ["code", "name", "description"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["code"].disabled = True
            self.initial["permission_codes"] = list(
                self.instance.permissions.values_list("permission", flat=True))
            if self.instance.is_admin_role:
                self.fields["permission_codes"].disabled = True
                self.fields["permission_codes"].help_text = "三员角色的权限固定。"

    def _save(self) -> Role:
        data = self.cleaned_data
        if self.instance.pk:
            role = services.update_role(actor=self.actor, role=Role.objects.get(pk=self.instance.pk),
                                        name=data["name"], description=data.get("description", ""))
        else:
            role = services.create_role(actor=self.actor, code=data["code"], name=data["name"],
                                        description=data.get("description", ""))
        if not role.is_admin_role:
            services.set_role_permissions(actor=self.actor, role=role,
                                          permissions=data.get("permission_codes", []))
        return role

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors:
            error = dry_run(self._save)
            if error is not None:
                raise ValidationError(error.message)
        return data


@admin.register(Role)
class RoleAdmin(CivicModelAdmin):
    view_permission = manage_permission = "roles.manage"
    form = RoleForm
    list_display = ["code", "name", "is_admin_role", "permission_list"]
    readonly_fields = ["is_admin_role"]
    fields = ["code", "name", "is_admin_role", "description", "permission_codes"]

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any):  # type: ignore[no-untyped-def]
        form = super().get_form(request, obj, change=change, **kwargs)
        form.actor = request.user
        return form

    def get_queryset(self, request: HttpRequest) -> QuerySet[Role]:
        return super().get_queryset(request).prefetch_related("permissions")

    @admin.display(description="权限")
    def permission_list(self, obj: Role) -> str:
        return "、".join(sorted(p.permission for p in obj.permissions.all())) or "—"

    def save_model(self, request: HttpRequest, obj: Role, form: Any, change: bool) -> None:
        role = form._save()
        obj.pk = obj.id = role.pk


@admin.register(RolePermission)
class RolePermissionAdmin(CivicModelAdmin):
    """The matrix, read-only here: it is edited on each role's page."""

    view_permission = "roles.manage"
    manage_permission = None
    list_display = ["role", "permission", "meaning"]
    list_filter = ["role", "permission"]
    list_select_related = ["role"]

    @admin.display(description="含义")
    def meaning(self, obj: RolePermission) -> str:
        return PERMISSIONS.get(obj.permission, "")


class RoleGrantForm(forms.ModelForm):
    username = forms.CharField(label="用户账号", max_length=150)
    area_code = forms.CharField(label="区划代码", max_length=12, required=False,
                                help_text="授权范围三选一：区划（含下级）、网格编码或部门；都不填为全局。")
    actor: User

    class Meta:
        model = RoleGrant
        fields = ["role", "grid_code", "org_unit"]

    def clean_username(self) -> User:
        try:
            return User.objects.get(username=self.cleaned_data["username"])
        except User.DoesNotExist:
            raise ValidationError("用户不存在。") from None

    def clean_area_code(self) -> Area | None:
        code = self.cleaned_data.get("area_code", "").strip()
        if not code:
            return None
        try:
            return Area.objects.get(code=code)
        except Area.DoesNotExist:
            raise ValidationError("区划代码不存在。") from None

    def grant(self) -> RoleGrant:
        data = self.cleaned_data
        return services.grant_role(
            actor=self.actor, user=data["username"], role_code=data["role"].code,
            area=data.get("area_code"), grid_code=data.get("grid_code", ""),
            org_unit=data.get("org_unit"),
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors:
            error = dry_run(self.grant)
            if error is not None:
                raise ValidationError(error.message)
        return data


@admin.register(RoleGrant)
class RoleGrantAdmin(CivicModelAdmin):
    view_permission = manage_permission = "roles.manage"
    allow_change = False
    allow_delete = True  # revoke
    form = RoleGrantForm
    list_display = ["user", "role", "scope", "granted_by", "granted_at"]
    list_filter = ["role"]
    search_fields = ["user__username", "user__display_name", "grid_code", "area__code"]
    list_select_related = ["user", "role", "area", "org_unit", "granted_by"]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if obj is None:
            return ["username", "role", "area_code", "grid_code", "org_unit"]
        return ["user", "role", "area", "grid_code", "org_unit", "granted_by", "granted_at"]

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any):  # type: ignore[no-untyped-def]
        form = super().get_form(request, obj, change=change, **kwargs)
        form.actor = request.user
        return form

    @admin.display(description="范围")
    def scope(self, obj: RoleGrant) -> str:
        return str(obj.area or obj.grid_code or obj.org_unit or "全局")

    def save_model(self, request: HttpRequest, obj: RoleGrant, form: Any, change: bool) -> None:
        grant = form.grant()
        obj.pk = obj.id = grant.pk
        obj.user, obj.area = grant.user, grant.area

    def delete_model(self, request: HttpRequest, obj: RoleGrant) -> None:
        services.revoke_grant(actor=request.user, grant=obj)  # type: ignore[arg-type]
