"""Rollups stay exact: rebuild, the fold worker over live actions, reopening, escalation,
redrawn grids, late commits (gaps), and ``rollups check`` finding a wrong row."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone
from shapely.affinity import scale
from shapely.geometry import mapping, shape

from civicgrid.areas.services import redraw_grid
from civicgrid.cases import services
from civicgrid.cases.models import Case, CaseEvent, State
from civicgrid.demo.cases import build_cases
from civicgrid.stats import check, rollups
from civicgrid.stats.models import CaseFact, FoldState, Rollup
from tests.cases.flows import grid_of, reported, to_state

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(dt.datetime(2026, 6, 15, 10, 0))


def assert_exact() -> None:
    report = check.check()
    assert report.differences == [], report.differences[:5]
    assert report.rows > 0


def total(measure: str, **filters: object) -> int:
    return sum(Rollup.objects.filter(cut="a", level=6, grain="d", **filters)
               .values_list(measure, flat=True))


def test_rebuild_and_fold_from_scratch_agree_with_brute_force() -> None:
    build_cases(400, seed=11, now=NOW)
    report = rollups.rebuild()
    assert report.cases == Case.objects.count()
    assert_exact()
    assert total("received") == Case.objects.count()
    assert total("closed") == Case.objects.filter(state=State.CLOSED).count()
    rebuilt = sorted(Rollup.objects.values_list("cut", "grain", "period", "area", "category_id",
                                                "channel", "department_id", "received", "closed",
                                                "handle_seconds", "open"))
    # the worker, starting from nothing, arrives at exactly the same table
    Rollup.objects.all().delete()
    CaseFact.objects.all().delete()
    FoldState.objects.all().delete()
    rollups.fold_all(batch=500)
    folded = sorted(Rollup.objects.exclude(
        received=0, registered=0, handled=0, reworked=0, closed=0, closed_on_time=0,
        verified_on_time=0, handle_seconds=0, handle_count=0, rated=0, satisfied=0, open=0,
    ).values_list("cut", "grain", "period", "area", "category_id", "channel", "department_id",
                  "received", "closed", "handle_seconds", "open"))
    assert folded == rebuilt


def test_fold_follows_the_whole_loop_including_reopen_and_escalation(cast) -> None:  # type: ignore[no-untyped-def]
    rollups.rebuild()
    closed = to_state(cast, State.CLOSED)
    registered = to_state(cast, State.REGISTERED)
    handled = to_state(cast, State.HANDLED)
    rollups.fold_all()
    assert_exact()
    assert total("closed") == 1 and total("received") == 3
    # an unsatisfied callback reopens: the closure leaves the rollups
    services.callback(actor=cast["hotline"], case_id=closed.pk, satisfaction=1)
    services.escalate(actor=cast["street"], case_id=registered.pk, reason="需区级协调")
    services.verify(actor=cast["grid"], case_id=handled.pk, passed=False, note="未清理干净")
    rollups.fold_all()
    assert_exact()
    assert total("closed") == 0
    assert total("reworked") == 1
    assert Case.objects.get(pk=closed.pk).state == State.IN_PROGRESS
    # folding again changes nothing
    assert rollups.fold().changed == 0
    assert_exact()


def test_redrawn_grid_keeps_counting_under_its_code(cast) -> None:  # type: ignore[no-untyped-def]
    rollups.rebuild()
    grid = grid_of()
    before = reported(cast, grid=grid)
    geometry = mapping(scale(shape(grid.geometry), 0.98, 0.98))
    redraw_grid(actor=cast["sysadmin"], code=grid.code, geometry=geometry)
    after = reported(cast, grid=grid_of())
    assert before.grid_id != after.grid_id
    rollups.fold_all()
    assert_exact()
    assert sum(Rollup.objects.filter(cut="a", grain="d", area=grid.code)
               .values_list("received", flat=True)) == 2


def _insert_event(case: Case, event_id: int) -> None:
    """An event committed with an id below ones already folded (what PostgreSQL does when
    transactions commit out of id order)."""
    table = connection.ops.quote_name(CaseEvent._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (id, case_id, at, actor_name, action, from_state, to_state, note, data)"  # noqa: S608
            " VALUES (%s, %s, %s, '', 'late', '', '', '', '{}')",
            [event_id, case.pk, timezone.now()])


def test_a_late_commit_below_the_watermark_is_folded(cast) -> None:  # type: ignore[no-untyped-def]
    rollups.rebuild()
    rollups.fold_all()
    first = reported(cast)
    second = reported(cast)
    # a third case whose event id (top+1000) is taken but "commits" after a fold has moved on
    late = reported(cast)
    CaseEvent.objects.filter(case=late).update(case=first)  # its own event must not tell us
    top = CaseEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    _insert_event(second, top + 1001)
    rollups.fold_all()
    state = FoldState.objects.get()
    assert state.watermark == top + 1001
    assert any(low <= top + 1000 <= high for low, high, _ in state.gaps)
    assert CaseFact.objects.filter(case_id=late.pk).count() == 0  # not told yet
    _insert_event(late, top + 1000)
    rollups.fold_all()
    assert CaseFact.objects.filter(case_id=late.pk).count() == 1
    assert_exact()
    # a gap older than the horizon is given up (its ids were rolled back)
    rollups.fold(gap_seconds=0)
    assert FoldState.objects.get().gaps == []


def test_check_reports_a_wrong_row_and_the_command_fails(cast) -> None:  # type: ignore[no-untyped-def]
    to_state(cast, State.CLOSED)
    call_command("rollups", "rebuild")
    call_command("rollups", "check")
    row = Rollup.objects.filter(cut="a", grain="m", closed__gt=0).first()
    Rollup.objects.filter(pk=row.pk).update(closed=row.closed + 1)
    report = check.check()
    assert len(report.differences) == 1 and "closed" in report.differences[0]
    with pytest.raises(CommandError):
        call_command("rollups", "check")
    call_command("rollups", "check", since=str(timezone.localdate() + dt.timedelta(days=40)))
