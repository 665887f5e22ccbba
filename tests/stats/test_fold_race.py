"""Two real transactions commit out of id order (PostgreSQL): the fold worker misses nothing."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections, transaction

from civicgrid.cases.models import CaseEvent
from civicgrid.stats import check, rollups
from civicgrid.stats.models import CaseFact, FoldState
from tests.cases.flows import reported


@pytest.mark.django_db(transaction=True)
def test_an_event_committed_after_a_higher_id_is_folded(demo_city, cast) -> None:  # type: ignore[no-untyped-def]
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has one writer at a time: events commit in id order")
    rollups.rebuild()
    holding, release = threading.Event(), threading.Event()
    slow: dict[str, int] = {}

    def slow_report() -> None:
        try:
            with transaction.atomic():
                slow["case"] = reported(cast).pk
                holding.set()
                release.wait(timeout=30)
        finally:
            connections.close_all()

    thread = threading.Thread(target=slow_report)
    thread.start()
    assert holding.wait(timeout=30)
    fast = reported(cast)  # commits now, with a higher event id than the slow one
    rollups.fold_all()
    state = FoldState.objects.get()
    fast_event = CaseEvent.objects.filter(case=fast).values_list("id", flat=True).get()
    assert state.watermark >= fast_event
    assert state.gaps, "the slow transaction's id is remembered as a gap"
    assert CaseFact.objects.filter(case_id=fast.pk).exists()
    release.set()
    thread.join(timeout=30)
    assert not CaseFact.objects.filter(case_id=slow["case"]).exists()
    rollups.fold_all()
    assert CaseFact.objects.filter(case_id=slow["case"]).exists()
    assert check.check().differences == []
