from __future__ import annotations

from django.db.models import QuerySet

from civicgrid.accounts.scope import can
from civicgrid.core.models import AuditEntry


def audit_entries_visible_to(user) -> QuerySet[AuditEntry]:  # type: ignore[no-untyped-def]
    """Only the audit admin (审计管理员) reads the audit log."""
    if can(user, "audit.view"):
        return AuditEntry.objects.order_by("-seq")
    return AuditEntry.objects.none()
