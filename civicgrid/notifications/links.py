"""Where a notification leads: the case page, or the dispute page for a dispute alert."""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse

from civicgrid.notifications.models import Notification


def link_of(item: Notification) -> str:
    if item.case_id is None:
        return _dispute_link(item)
    try:
        return reverse("cases:detail", args=[item.case_id])
    except NoReverseMatch:
        return ""


def _dispute_link(item: Notification) -> str:
    """Dispute alerts (``civicgrid.mediation.alerts``) carry the dispute in their dedupe key."""
    parts = item.dedupe_key.split(":")
    if len(parts) < 2 or parts[0] != "dispute" or not parts[1].isdigit():
        return ""
    try:
        return reverse("mediation:detail", args=[int(parts[1])])
    except NoReverseMatch:
        return ""
