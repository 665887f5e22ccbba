"""Reference data in the admin (系统管理员: areas.manage). Grids are read-only here: their
polygons come from imports, which keep the versions and the point → grid index consistent."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.html import format_html

from civicgrid.areas import services
from civicgrid.areas.models import Area, Grid, HouseholdGroup
from civicgrid.core.admin_base import CivicModelAdmin, dry_run


@admin.register(Area)
class AreaAdmin(CivicModelAdmin):
    view_permission = manage_permission = "areas.manage"
    list_display = ["code", "name", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["parent"]
    list_select_related = ["parent"]
    ordering = ["code"]


class CurrentFilter(admin.SimpleListFilter):
    title = "版本"
    parameter_name = "current"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("1", "现行"), ("0", "已失效")]

    def queryset(self, request: HttpRequest, queryset: Any) -> Any:
        if self.value() == "1":
            return queryset.filter(valid_to__isnull=True)
        if self.value() == "0":
            return queryset.filter(valid_to__isnull=False)
        return queryset


@admin.register(Grid)
class GridAdmin(CivicModelAdmin):
    view_permission = "areas.manage"
    manage_permission = None  # read-only: grids change through the import, not by hand
    list_display = ["code", "name", "village", "valid_from", "valid_to"]
    list_filter = [CurrentFilter, "village__parent"]
    search_fields = ["code", "name", "village__name"]
    list_select_related = ["village"]
    fields = ["code", "name", "village", "centroid", "valid_from", "valid_to", "geometry_text"]
    readonly_fields = fields

    @admin.display(description="中心点（经度, 纬度）")
    def centroid(self, obj: Grid) -> str:
        return f"{obj.centroid_lng:.6f}, {obj.centroid_lat:.6f}"

    @admin.display(description="边界(GeoJSON, WGS-84)")
    def geometry_text(self, obj: Grid) -> str:
        text = json.dumps(obj.geometry, ensure_ascii=False)
        if len(text) > 4000:
            text = text[:4000] + " …"
        return format_html('<code style="word-break:break-all">{}</code>', text)


class HouseholdGroupForm(forms.ModelForm):
    actor: Any = None

    class Meta:
        model = HouseholdGroup
        fields = ["grid_code", "name", "head", "household_count"]

    def create(self) -> HouseholdGroup:
        data = self.cleaned_data
        return services.create_household_group(
            actor=self.actor, grid_code=data["grid_code"], name=data["name"],
            household_count=data["household_count"], head=data.get("head"),
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.instance.pk and not self.errors:
            error = dry_run(self.create)
            if error is not None:
                raise ValidationError(error.message)
        return data


@admin.register(HouseholdGroup)
class HouseholdGroupAdmin(CivicModelAdmin):
    view_permission = manage_permission = "areas.manage"
    form = HouseholdGroupForm
    list_display = ["name", "grid_code", "head", "household_count"]
    search_fields = ["name", "grid_code", "head__username", "head__display_name"]
    list_filter = ["household_count"]
    list_select_related = ["head"]
    raw_id_fields = ["head"]

    def save_model(self, request: HttpRequest, obj: HouseholdGroup, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)  # audited by CivicModelAdmin
            return
        group = form.create()
        obj.pk = obj.id = group.pk

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any):  # type: ignore[no-untyped-def]
        form = super().get_form(request, obj, change=change, **kwargs)
        form.actor = request.user
        return form
