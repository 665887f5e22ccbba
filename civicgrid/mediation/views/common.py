"""Helpers of the dispute pages: deadline colours, masked parties, the actions' forms."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.accounts.models import User
from civicgrid.accounts.scope import scope_for
from civicgrid.areas.models import Grid
from civicgrid.cases.deadlines import Timeliness, timeliness
from civicgrid.mediation import privacy
from civicgrid.mediation.models import Dispute, Party
from civicgrid.mediation.transitions import TRANSITIONS
from civicgrid.mediation.workflow import actions_for

CSS = {Timeliness.NORMAL: "t-normal", Timeliness.DUE_SOON: "t-soon", Timeliness.OVERDUE: "t-overdue"}


def decorate(disputes: Iterable[Dispute]) -> list[Dispute]:
    """Attach the deadline colour of the open ones for the templates."""
    now = timezone.now()
    rows = list(disputes)
    for d in rows:
        t = (timeliness(start=d.stage_started_at, due=d.due_at, now=now)
             if d.is_open else Timeliness.NORMAL)
        d.timeliness = t  # type: ignore[attr-defined]
        d.timeliness_label = _(Timeliness.LABELS[t])  # type: ignore[attr-defined]
        d.timeliness_class = CSS[t]  # type: ignore[attr-defined]
    return rows


def masked_parties(dispute: Dispute) -> list[dict[str, Any]]:
    return [privacy.masked(p) for p in Party.objects.filter(dispute=dispute).order_by("side", "id")]


def page_actions(user: User, dispute: Dispute) -> list[dict[str, str]]:
    return [{"action": a, "label": _(TRANSITIONS[a].label)} for a in actions_for(user, dispute)]


def report_grids(user: User, limit: int = 300) -> list[Grid]:
    """Grids a person may register disputes or screening reports for."""
    scope = scope_for(user, "mediation.report")
    if scope.is_empty:
        return []
    return list(Grid.objects.current().filter(scope.code_q("code")).select_related("village")
                .order_by("code")[:limit])
