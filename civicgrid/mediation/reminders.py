"""Deadline reminders for disputes, run by ``civicgrid tick`` (the ``tick_done`` signal).

An open dispute past its stage deadline — not accepted in time, mediation past its month,
a decision after failed mediation, a follow-up visit due — tells its mediator, or when it has
none (just registered, just escalated) the mediators of its level. Once per deadline: the
notification's dedupe key names the dispute and the deadline.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.accounts.models import RoleGrant, User
from civicgrid.areas.models import CODE_LENGTH, AreaLevel
from civicgrid.mediation.models import OPEN_STATES, Dispute, State
from civicgrid.notifications import services as notifications
from civicgrid.notifications.models import Kind
from civicgrid.notifications.rules import Notice

FOLLOW_UP_STATES = (State.RESOLVED, State.REFERRED, State.FOLLOWED_UP)


def level_mediators(dispute: Dispute) -> list[User]:
    """Who mediates at the dispute's level in its area (``mediation.manage`` granted there)."""
    prefix = dispute.area_code[:CODE_LENGTH[AreaLevel(dispute.level)]]
    grants = (RoleGrant.objects.filter(area__code=prefix, user__is_active=True,
                                       role__permissions__permission="mediation.manage")
              .select_related("user").order_by("user_id"))
    return list({g.user_id: g.user for g in grants}.values())


def remind_due(*, now: dt.datetime | None = None) -> int:
    """Tell the responsible mediators about every dispute past its deadline; returns how many
    disputes were reminded about (already reminded ones count again but notify nobody twice)."""
    now = now or timezone.now()
    due = (Dispute.objects.filter(state__in=sorted(OPEN_STATES), due_at__lt=now)
           .select_related("mediator").order_by("due_at"))
    count = 0
    with notifications.site_language():
        for d in due.iterator(chunk_size=500):
            users = [d.mediator] if d.mediator and d.mediator.is_active else level_mediators(d)
            if d.state in FOLLOW_UP_STATES:
                title = _("纠纷回访到期 %(code)s") % {"code": d.code}
            else:
                title = _("纠纷%(state)s已超期 %(code)s") % {"state": _(State(d.state).label),
                                                          "code": d.code}
            body = _("时限：%(due)s") % {"due": timezone.localtime(d.due_at).strftime("%Y-%m-%d %H:%M")}
            notifications.notify(case=None, topic="dispute_due",
                                 dedupe_key=f"dispute:{d.pk}:due:{int(d.due_at.timestamp())}",
                                 notices=[Notice(users, Kind.TODO, title, body)])
            count += 1
    return count


def on_tick(sender: Any, now: dt.datetime | None = None, **kwargs: Any) -> dict[str, int]:
    return {"纠纷到期提醒": remind_due(now=now)}
