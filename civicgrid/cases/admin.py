"""Case configuration in the admin (系统管理员): the category tree and the deadline policies.

Cases themselves are never edited here: they change only through the workflow.
"""

from __future__ import annotations

from django.contrib import admin

from civicgrid.cases.models import Category, DeadlinePolicy
from civicgrid.core.admin_base import CivicInline, CivicModelAdmin

SETTINGS_PERMISSION = "areas.manage"  # reference data and settings: the system admin


class SubcategoryInline(CivicInline, admin.TabularInline):  # type: ignore[type-arg]
    view_permission = manage_permission = SETTINGS_PERMISSION
    model = Category
    fk_name = "parent"
    fields = ["code", "name", "department_type", "urgency", "duplicate_radius_m", "is_public",
              "is_active", "sort"]
    extra = 0
    show_change_link = True


@admin.register(Category)
class CategoryAdmin(CivicModelAdmin):
    view_permission = manage_permission = SETTINGS_PERMISSION
    list_display = ["code", "name", "parent", "department_type", "urgency", "duplicate_radius_m",
                    "is_public", "is_dispute", "is_active", "sort"]
    list_filter = ["parent", "department_type", "urgency", "is_active", "is_dispute"]
    search_fields = ["code", "name"]
    list_select_related = ["parent"]
    ordering = ["sort", "code"]

    def get_inlines(self, request, obj):  # type: ignore[no-untyped-def]
        return [SubcategoryInline] if obj is not None and obj.parent_id is None else []


@admin.register(DeadlinePolicy)
class DeadlinePolicyAdmin(CivicModelAdmin):
    view_permission = manage_permission = SETTINGS_PERMISSION
    allow_delete = True
    list_display = ["stage", "category", "urgency", "area_level", "amount", "unit", "due_soon_ratio"]
    list_filter = ["stage", "urgency", "unit", "area_level"]
    list_select_related = ["category"]
    autocomplete_fields = ["category"]
    search_fields = ["category__name", "category__code"]
