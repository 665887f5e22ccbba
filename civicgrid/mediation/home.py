"""The rows of the home-page panels about disputes (read through the scoped selectors)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from civicgrid.accounts.models import User
from civicgrid.mediation.models import Risk, State
from civicgrid.mediation.selectors import disputes_visible_to, watch_list
from civicgrid.mediation.views.common import decorate

LIMIT = 10


def dispute_rows(user: User, key: str) -> list[dict[str, Any]]:
    visible = disputes_visible_to(user)
    if key == "disputes":
        qs = visible.filter(state__in=[State.REGISTERED, State.ACCEPTED, State.MEDIATING,
                                       State.UNRESOLVED]).order_by("due_at")
        more = reverse("mediation:list") + "?tab=mediating"
    elif key == "followups":
        qs = visible.filter(state__in=[State.RESOLVED, State.REFERRED, State.FOLLOWED_UP]
                            ).order_by("due_at")
        more = reverse("mediation:list") + "?tab=followup"
    else:
        qs, more = watch_list(user), reverse("mediation:list") + "?tab=watch"
    rows: list[dict[str, Any]] = []
    for d in decorate(qs[:LIMIT]):
        meta = f"{_(State(d.state).label)} · {_(Risk(d.risk).label)}{_('风险')}"
        if d.due_at is not None:
            meta += f" · {d.timeliness_label}"  # type: ignore[attr-defined]
        rows.append({"label": f"{d.code} {_(d.get_dispute_type_display())} {d.summary[:20]}",
                     "meta": meta, "url": reverse("mediation:detail", args=[d.pk]),
                     "class": f"t-{d.timeliness}"})  # type: ignore[attr-defined]
    if rows:
        rows.append({"label": _("查看全部") + " ›", "url": more, "meta": "", "class": "more"})
    return rows
