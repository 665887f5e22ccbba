"""Open311 clients in the admin: issue (the key is shown once), revoke, adjust the rate limit."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civicgrid.core.admin_base import CivicModelAdmin
from civicgrid.open311 import keys
from civicgrid.open311.models import Open311Client, Open311Submission


class IssueForm(forms.ModelForm):
    class Meta:
        model = Open311Client
        fields = ["name", "jurisdiction", "rate_limit_per_minute"]


@admin.register(Open311Client)
class Open311ClientAdmin(CivicModelAdmin):
    view_permission = "integrations.manage"
    manage_permission = "integrations.manage"
    list_display = ["name", "jurisdiction", "key_prefix", "is_active", "revoked_at",
                    "rate_limit_per_minute", "last_used_at", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["name"]
    raw_id_fields = ["jurisdiction"]
    actions = ["revoke"]

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any):  # type: ignore[no-untyped-def]
        if obj is None:
            kwargs["form"] = IssueForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if obj is None:
            return ["name", "jurisdiction", "rate_limit_per_minute"]
        return ["name", "jurisdiction", "key_prefix", "rate_limit_per_minute", "is_active",
                "revoked_at", "created_at", "created_by", "last_used_at"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if obj is None:
            return []
        return ["name", "jurisdiction", "key_prefix", "is_active", "revoked_at", "created_at",
                "created_by", "last_used_at"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change:  # only the rate limit is editable
            super().save_model(request, obj, form, change)
            return
        issued = keys.issue_key(actor=request.user, name=obj.name,
                                jurisdiction_code=obj.jurisdiction.code,
                                rate_limit_per_minute=obj.rate_limit_per_minute)
        obj.pk = issued.client.pk
        obj.__dict__.update({k: v for k, v in issued.client.__dict__.items() if k != "_state"})
        obj._state.adding = False
        messages.warning(request, _("api_key（只显示这一次，请妥善保存）：%(key)s") % {"key": issued.key})

    @admin.action(description=gettext_lazy("吊销所选接入系统的密钥"))
    def revoke(self, request: HttpRequest, queryset: Any) -> None:
        for client in queryset:
            keys.revoke_key(actor=request.user, client=client)
        messages.success(request, _("已吊销 %(n)s 个接入系统的密钥。") % {"n": queryset.count()})


@admin.register(Open311Submission)
class Open311SubmissionAdmin(CivicModelAdmin):
    view_permission = "integrations.manage"
    manage_permission = None
    allow_add = allow_change = allow_delete = False
    list_display = ["created_at", "client", "case", "token"]
    list_filter = ["client"]
    fields = readonly_fields = ["client", "case", "token", "account_id", "device_id", "media_url",
                                "created_at"]
    actions = None
