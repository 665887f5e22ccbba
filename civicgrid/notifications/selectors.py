"""Reads of the inbox: a user sees only their own notifications."""

from __future__ import annotations

from django.db.models import QuerySet

from civicgrid.accounts.models import User
from civicgrid.core.errors import NotFound
from civicgrid.notifications.models import Notification


def notifications_of(user: User | None) -> QuerySet[Notification]:
    if user is None or not getattr(user, "pk", None):
        return Notification.objects.none()
    return Notification.objects.filter(user_id=user.pk).select_related("case")


def notification_for(user: User | None, notification_id: int) -> Notification:
    item = notifications_of(user).filter(pk=notification_id).first()
    if item is None:
        raise NotFound("消息不存在。", code="notification_not_found")
    return item


def unread_count(user: User | None) -> int:
    return notifications_of(user).filter(read_at__isnull=True).count()
