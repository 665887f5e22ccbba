from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from civicgrid.core.admin_base import CivicModelAdmin
from civicgrid.notifications.models import OutboundMessage


@admin.register(OutboundMessage)
class OutboundMessageAdmin(CivicModelAdmin):
    """The outbox, read-only for the system admin: what was sent, what failed and why."""

    view_permission = "users.manage"
    manage_permission = None
    allow_add = allow_change = allow_delete = False
    list_display = ["created_at", "channel", "recipient", "status", "attempts", "next_attempt_at",
                    "sent_at"]
    list_filter = ["status", "channel"]
    readonly_fields = ["channel", "recipient", "user", "body", "case", "status", "attempts",
                       "next_attempt_at", "last_error", "sent_at", "created_at", "dedupe_key"]
    fields = readonly_fields
    actions = None

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
