"""Two mediators acting on the same dispute at once: exactly one wins, the other gets a 409.

Real threads with their own connections (``tests.cases.flows.race``): on PostgreSQL the loser
waits on the row lock, on SQLite on the write lock; then it sees the new state.
"""

from __future__ import annotations

import pytest
from django.db import connection

from civicgrid.accounts.models import User
from civicgrid.core.errors import Conflict
from civicgrid.mediation import services
from civicgrid.mediation.models import Dispute, DisputeEvent, State
from tests.cases.flows import race
from tests.mediation.flows import cun, to_state

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("demo_city")]


def test_two_mediators_accept_the_same_dispute_at_once() -> None:
    cast = {u.username: u for u in User.objects.filter(username__in=["grid", "mediator"])}
    d = to_state(cast, State.REGISTERED)
    village = cun(cast).username
    results = race([
        lambda: services.accept(actor=User.objects.get(username=village), dispute_id=d.pk),
        lambda: services.accept(actor=User.objects.get(username="mediator"), dispute_id=d.pk),
    ])
    won = [r for r in results if isinstance(r, Dispute)]
    lost = [r for r in results if isinstance(r, Exception)]
    assert len(won) == 1 and len(lost) == 1, results
    assert isinstance(lost[0], Conflict) and lost[0].code in ("illegal_transition", "busy")
    fresh = Dispute.objects.get(pk=d.pk)
    assert fresh.state == State.ACCEPTED and fresh.version == 1
    assert DisputeEvent.objects.filter(dispute=d, action="accept").count() == 1


def test_actions_on_different_disputes_at_once_keep_the_rollups_exact() -> None:
    """Four disputes of one grid, day, type and mediator: their rollup rows are the same, so
    four transactions add to the same rows at once (PostgreSQL: row locks in key order)."""
    from civicgrid.mediation import rollup_check

    cast = {u.username: u for u in User.objects.filter(username__in=["grid", "mediator"])}
    disputes = [to_state(cast, State.REGISTERED) for _ in range(4)]
    village = cun(cast).username

    def accept(pk: int) -> object:
        return services.accept(actor=User.objects.get(username=village), dispute_id=pk)

    results = race([lambda pk=d.pk: accept(pk) for d in disputes])  # type: ignore[misc]
    assert all(isinstance(r, Dispute) or (isinstance(r, Conflict) and r.code == "busy")
               for r in results), results
    assert any(isinstance(r, Dispute) for r in results)
    if connection.vendor == "postgresql":  # row locks wait; nobody is refused, no deadlock
        assert all(isinstance(r, Dispute) for r in results), results
    report = rollup_check.check()
    assert report.differences == [], report.differences[:5]
