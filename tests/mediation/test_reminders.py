"""``civicgrid tick`` reminds the mediators of disputes past their deadlines, once each."""

from __future__ import annotations

import datetime as dt

import pytest

from civicgrid.accounts.models import User
from civicgrid.cases.tick import tick
from civicgrid.mediation.models import Dispute, State
from civicgrid.mediation.reminders import remind_due
from civicgrid.notifications.models import Notification
from tests.mediation.flows import cun, to_state

pytestmark = pytest.mark.django_db


def _told(d: Dispute) -> set[str]:
    return set(Notification.objects.filter(topic="dispute_due", dedupe_key__startswith=f"dispute:{d.pk}:")
               .values_list("user__username", flat=True))


def test_overdue_and_follow_up_reminders_reach_the_right_mediators(cast: dict[str, User]) -> None:
    registered = to_state(cast, State.REGISTERED)
    resolved = to_state(cast, State.RESOLVED)
    later = max(registered.due_at, resolved.due_at) + dt.timedelta(minutes=1)  # type: ignore[type-var]
    assert remind_due(now=later) >= 2
    assert _told(registered) == {cun(cast).username}  # no mediator yet: the village's
    assert _told(resolved) == {cun(cast).username}  # its own mediator
    title = Notification.objects.get(topic="dispute_due", user=cun(cast),
                                     dedupe_key__startswith=f"dispute:{resolved.pk}:").title
    assert "回访" in title
    before = Notification.objects.filter(topic="dispute_due").count()
    report = tick(now=later)  # the tick runs it too, and nobody is told twice
    assert "纠纷到期提醒" in report.extra
    assert Notification.objects.filter(topic="dispute_due").count() == before


def test_nothing_is_due_before_the_deadline(cast: dict[str, User]) -> None:
    d = to_state(cast, State.REGISTERED)
    remind_due(now=d.created_at)
    assert _told(d) == set()
