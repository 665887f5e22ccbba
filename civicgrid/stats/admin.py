"""Assessment schemes in the admin (系统管理员, like the other settings); published tables are
read-only here (they are frozen)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin

from civicgrid.core.admin_base import CivicInline, CivicModelAdmin
from civicgrid.stats import kpis
from civicgrid.stats.models import AssessmentIndicator, AssessmentScheme, PublishedAssessment

SETTINGS_PERMISSION = "areas.manage"


def _kpi_choices() -> list[tuple[str, str]]:
    return [(k.code, k.label) for k in kpis.enabled_kpis() if k.source is None]


class IndicatorForm(forms.ModelForm):  # type: ignore[type-arg]
    kpi = forms.ChoiceField(label="指标", choices=_kpi_choices)

    class Meta:
        model = AssessmentIndicator
        fields = ["kpi", "weight", "target", "sort"]


class IndicatorInline(CivicInline, admin.TabularInline):  # type: ignore[type-arg]
    """Rights from the matrix, like the scheme itself (not Django's model permissions)."""

    view_permission = manage_permission = SETTINGS_PERMISSION
    allow_delete = True
    model = AssessmentIndicator
    form = IndicatorForm
    extra = 1


@admin.register(AssessmentScheme)
class AssessmentSchemeAdmin(CivicModelAdmin):
    view_permission = manage_permission = SETTINGS_PERMISSION
    list_display = ["name", "unit", "period", "is_active"]
    inlines = [IndicatorInline]


@admin.register(PublishedAssessment)
class PublishedAssessmentAdmin(CivicModelAdmin):
    view_permission = SETTINGS_PERMISSION
    manage_permission = None
    list_display = ["scheme", "scope", "period_start", "period_end", "published_at", "published_by"]

    def get_readonly_fields(self, request: Any, obj: Any = None) -> list[str]:
        return [f.name for f in PublishedAssessment._meta.fields]
