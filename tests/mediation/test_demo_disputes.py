"""Demo disputes: a history that obeys the dispute workflow, and screening that adds up."""

from __future__ import annotations

import pytest
from django.db.models import Count

from civicgrid.accounts.models import User
from civicgrid.mediation.models import (
    CLOSED_STATES,
    Agreement,
    Dispute,
    DisputeEvent,
    ScreeningReport,
    State,
)
from civicgrid.mediation.selectors import missing_screening, watch_list
from civicgrid.mediation.services import current_period
from civicgrid.mediation.transitions import TRANSITIONS

pytestmark = pytest.mark.django_db


def test_every_demo_timeline_follows_the_transition_table() -> None:
    timeline: dict[int, list[DisputeEvent]] = {}
    for e in DisputeEvent.objects.order_by("at", "id"):
        timeline.setdefault(e.dispute_id, []).append(e)
    disputes = list(Dispute.objects.all())
    assert len(disputes) >= 300
    for d in disputes:
        chain = timeline[d.pk]
        assert chain[0].action == "register" and chain[0].at == d.created_at
        for a, b in zip(chain, chain[1:], strict=False):
            t = TRANSITIONS[b.action]
            assert a.to_state == b.from_state and a.at <= b.at
            assert b.from_state in t.sources and b.to_state == (t.target or b.from_state)
        assert chain[-1].to_state == d.state and d.version == len(chain) - 1
        assert (d.state in CLOSED_STATES) == (d.closed_at is not None)
        assert (d.resolved_at is not None) == Agreement.objects.filter(dispute=d).exists()
        if d.state not in CLOSED_STATES:
            assert d.due_at is not None


def test_screening_reports_add_up() -> None:
    linked = Dispute.objects.filter(source="screening")
    assert linked.exists() and not linked.filter(screening__isnull=True).exists()
    for d in linked.select_related("screening")[:200]:
        assert d.screening.grid_code == d.area_code
    assert not ScreeningReport.objects.filter(zero_report=True).annotate(
        n=Count("disputes")).filter(n__gt=0).exists()
    assert ScreeningReport.objects.filter(zero_report=True).exists()


def test_every_demo_login_finds_dispute_work(cast: dict[str, User]) -> None:
    period = current_period()
    assert missing_screening(cast["street"], period).exists()  # the township sees who is late
    assert missing_screening(cast["grid"], period).exists()  # the demo grid member must report
    assert watch_list(cast["leader"]).filter(risk="major").exists()
    assert Dispute.objects.filter(state=State.MEDIATING, level="township",
                                  area_code__startswith="640202001").exists()
    assert Dispute.objects.filter(state=State.REGISTERED, reporter=cast["grid"]).exists()
