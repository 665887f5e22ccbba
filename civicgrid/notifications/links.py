"""Where a notification leads: the case page when the cases app has one."""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse

from civicgrid.notifications.models import Notification


def link_of(item: Notification) -> str:
    if item.case_id is None:
        return ""
    try:
        return reverse("cases:detail", args=[item.case_id])
    except NoReverseMatch:
        return ""
