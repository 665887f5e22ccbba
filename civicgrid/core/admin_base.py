"""The Django admin, governed by the permission matrix (三员 separation), not by is_staff.

``CivicAdminConfig`` replaces ``django.contrib.admin`` in INSTALLED_APPS so that
``admin.site`` is a ``CivicAdminSite``. Only ``CivicModelAdmin`` subclasses are registered on
it (third-party admins such as auth.Group, axes or django-otp are left out), and each one
states which matrix permission reads it and which one writes it. Access never depends on
``is_staff`` or ``is_superuser``.

This module is imported while apps load, so it imports models only inside functions.
"""

from __future__ import annotations

import logging
from functools import update_wrapper
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.decorators import method_decorator

log = logging.getLogger(__name__)

# Holding any of these opens the admin; what each user then sees is decided per model.
ADMIN_PERMISSIONS = ("users.manage", "areas.manage", "orgs.manage", "integrations.manage",
                     "roles.manage", "audit.view")


def _can(request: HttpRequest, permission: str | None) -> bool:
    if not permission:
        return False
    from civicgrid.accounts.scope import can

    return can(getattr(request, "user", None), permission)


class CivicAdminSite(admin.AdminSite):
    site_header = "civicgrid 管理后台"
    site_title = "civicgrid 管理后台"
    index_title = "基础数据与权限管理"
    enable_nav_sidebar = False

    def has_permission(self, request: HttpRequest) -> bool:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.is_active:
            return False
        return any(_can(request, p) for p in ADMIN_PERMISSIONS)

    def admin_view(self, view, cacheable: bool = False):  # type: ignore[no-untyped-def]
        wrapped = super().admin_view(view, cacheable)

        def inner(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = getattr(request, "user", None)
            if user is None or not user.is_authenticated:
                from django.contrib.auth.views import redirect_to_login

                return redirect_to_login(request.get_full_path())  # the one login page
            if not self.has_permission(request):
                raise PermissionDenied("没有进入管理后台的权限。")
            return wrapped(request, *args, **kwargs)

        return update_wrapper(inner, wrapped)

    @method_decorator(login_not_required)
    def login(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        """One login page for the whole system (lockout and second factor apply)."""
        target = request.GET.get("next") or reverse("admin:index", current_app=self.name)
        return HttpResponseRedirect(reverse(settings.LOGIN_URL) + "?" + urlencode({"next": target}))

    def password_change(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        return HttpResponseRedirect(reverse("password_change"))

    def register(self, model_or_iterable, admin_class=None, **options):  # type: ignore[no-untyped-def]
        if admin_class is None or not issubclass(admin_class, CivicModelAdmin):
            log.debug("admin: %s is not governed by the permission matrix; not registered",
                      model_or_iterable)
            return
        super().register(model_or_iterable, admin_class, **options)


class CivicAdminConfig(AdminConfig):
    default_site = "civicgrid.core.admin_base.CivicAdminSite"


class CivicModelAdmin(admin.ModelAdmin):
    """A ModelAdmin whose rights come from the matrix.

    ``view_permission`` reads; ``manage_permission`` writes (None: read-only for everyone).
    ``allow_add``/``allow_change``/``allow_delete`` narrow the writes further. Writes are
    audited; subclasses route them through services where one exists.
    """

    view_permission: str | None = None
    manage_permission: str | None = None
    allow_add = True
    allow_change = True
    allow_delete = False

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _can(request, self.view_permission) or _can(request, self.manage_permission)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self.allow_add and _can(request, self.manage_permission)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.allow_change and _can(request, self.manage_permission)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.allow_delete and _can(request, self.manage_permission)

    def _audit(self, request: HttpRequest, obj: Any, verb: str, data: dict | None = None) -> None:
        from civicgrid.core import audit

        meta = obj._meta
        audit.record(actor=request.user, action=f"admin.{meta.model_name}.{verb}",
                     target=f"{meta.label_lower}:{obj.pk}", data=data or {},
                     ip=request.META.get("REMOTE_ADDR", ""))

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        from django.db import transaction

        with transaction.atomic():
            super().save_model(request, obj, form, change)
            self._audit(request, obj, "change" if change else "create",
                        {"fields": sorted(form.changed_data), "repr": str(obj)})

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        from django.db import transaction

        with transaction.atomic():
            self._audit(request, obj, "delete", {"repr": str(obj)})
            super().delete_model(request, obj)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        """The inline rows saved with the object, each audited like the object itself."""
        from django.db import transaction

        with transaction.atomic():
            super().save_formset(request, form, formset, change)
            for obj in formset.new_objects:
                self._audit(request, obj, "create", {"repr": str(obj)})
            for obj, fields in formset.changed_objects:
                self._audit(request, obj, "change", {"fields": sorted(fields), "repr": str(obj)})
            for obj in formset.deleted_objects:
                self._audit(request, obj, "delete", {"repr": str(obj)})

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for obj in queryset:
            self.delete_model(request, obj)


class CivicInline:
    """Mixed into an inline (``class X(CivicInline, admin.TabularInline)``): its rights come
    from the matrix like its parent admin's, not from Django's model permissions (which no role
    holds, so a plain inline is invisible even to the system admin). Its saved rows are
    audited by the parent ``CivicModelAdmin.save_formset``."""

    view_permission: str | None = None
    manage_permission: str | None = None
    allow_delete = False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _can(request, self.view_permission) or _can(request, self.manage_permission)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _can(request, self.manage_permission)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _can(request, self.manage_permission)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.allow_delete and _can(request, self.manage_permission)


class _DryRun(Exception):
    pass


def dry_run(call) -> Any:  # type: ignore[no-untyped-def]
    """Run a service inside a rolled-back transaction; return the DomainError it raised, or None.

    Admin forms use it in ``clean()`` so that a service's refusal shows as a form error,
    while the real write happens once, in ``save_model``.
    """
    from django.db import transaction

    from civicgrid.core.errors import DomainError

    try:
        with transaction.atomic():
            call()
            raise _DryRun
    except _DryRun:
        return None
    except DomainError as exc:
        return exc
