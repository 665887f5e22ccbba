"""The audit log in the admin: read-only for the audit admin (audit.view), for nobody else."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from civicgrid.core.admin_base import CivicModelAdmin
from civicgrid.core.models import AuditEntry, CalendarDay


@admin.register(AuditEntry)
class AuditEntryAdmin(CivicModelAdmin):
    view_permission = "audit.view"
    manage_permission = None
    allow_add = allow_change = allow_delete = False
    list_display = ["seq", "at", "actor_name", "action", "target", "ip"]
    list_filter = ["action"]
    search_fields = ["actor_name", "action", "target"]
    date_hierarchy = "at"
    ordering = ["-seq"]
    readonly_fields = ["seq", "at", "actor", "actor_name", "action", "target", "data", "ip",
                       "prev_hash", "hash"]
    fields = readonly_fields
    actions = None

    def get_queryset(self, request: HttpRequest) -> Any:
        from civicgrid.core.audit_selectors import audit_entries_visible_to

        return audit_entries_visible_to(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(CalendarDay)
class CalendarDayAdmin(CivicModelAdmin):
    """Overrides of the statutory calendar (next year's notice, local 调休)."""

    view_permission = manage_permission = "areas.manage"
    allow_delete = True
    list_display = ["date", "is_workday", "name"]
    list_filter = ["is_workday"]
    date_hierarchy = "date"
    ordering = ["-date"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        from civicgrid.core.workcalendar import forget_overrides

        super().save_model(request, obj, form, change)
        forget_overrides()

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        from civicgrid.core.workcalendar import forget_overrides

        super().delete_model(request, obj)
        forget_overrides()
