"""Dispute deadlines on the working-day calendar (``core.workcalendar``).

Defaults follow 人民调解 practice (a dispute is accepted within days and mediated within about
a month); the settings' ``MEDIATION_DEADLINES`` (``CIVICGRID_MEDIATION_*_DAYS``) override
them. All amounts are working days.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings

from civicgrid.core.workcalendar import add_workdays
from civicgrid.mediation.models import Dispute, State

DEFAULTS = {
    "accept": 3,  # registered → accepted (or declined)
    "mediate": 22,  # accepted at a level → resolved there (about one month)
    "decide": 3,  # unresolved → escalated or referred
    "follow_up": 10,  # outcome → first follow-up visit, and between visits
}


def workdays(kind: str) -> int:
    configured = getattr(settings, "MEDIATION_DEADLINES", {}) or {}
    return int(configured.get(kind, DEFAULTS[kind]))


def due(kind: str, start: dt.datetime) -> dt.datetime:
    return add_workdays(start, workdays(kind))


def enter_stage(dispute: Dispute, state: str, now: dt.datetime) -> None:
    """Set the state and the deadline of the stage it starts."""
    dispute.state = state
    dispute.stage_started_at = now
    if state == State.REGISTERED:
        dispute.due_at = due("accept", now)
    elif state in (State.ACCEPTED, State.MEDIATING):
        dispute.due_at = dispute.mediation_due_at
    elif state == State.UNRESOLVED:
        dispute.due_at = due("decide", now)
    elif state in (State.RESOLVED, State.REFERRED, State.FOLLOWED_UP):
        dispute.next_followup_at = due("follow_up", now)
        dispute.due_at = dispute.next_followup_at
    else:  # closed, declined
        dispute.due_at = None
        dispute.next_followup_at = None
