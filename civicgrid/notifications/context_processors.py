from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from civicgrid.notifications.selectors import unread_count


def unread(request: HttpRequest) -> dict[str, Any]:
    """``unread_notifications``: the count shown on the 消息 nav entry."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": unread_count(user)}
