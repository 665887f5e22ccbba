"""The facts computed as arrays (``facts.compute`` over ``workspan``) equal the case-by-case
definitions of the statutory calendar (``core.workcalendar``) and the deadline policy
(``cases.deadlines``), over random cases including reopened, escalated, reworked and
redrawn-grid ones; and the rebuild made of them passes ``rollups check``."""

from __future__ import annotations

import datetime as dt
import random

import numpy as np
import pytest
from django.utils import timezone
from shapely.affinity import scale
from shapely.geometry import mapping, shape

from civicgrid.areas.services import redraw_grid
from civicgrid.cases import services
from civicgrid.cases.models import OPEN_STATES, Assignment, Case, State
from civicgrid.cases.workflow import ACTIVE_ASSIGNMENT
from civicgrid.core.models import CalendarDay
from civicgrid.core.workcalendar import add_workdays, forget_overrides, working_hours_between
from civicgrid.demo.cases import build_cases
from civicgrid.stats import check, kpis, rollups
from civicgrid.stats.facts import FACT_FIELDS, NO_DUE, Reference, facts_for
from civicgrid.stats.models import MEASURES, CaseFact, FoldState, Rollup
from civicgrid.stats.workspan import span_for, to_us
from tests.cases.flows import grid_of, to_state

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(dt.datetime(2026, 6, 15, 10, 0))


def _instants(rng: random.Random, count: int) -> list[dt.datetime]:
    """Random instants (with microseconds) over 2024–2027: the Spring Festivals, National Days
    and their 调休 working weekends included."""
    base = timezone.make_aware(dt.datetime(2024, 1, 1))
    return [base + dt.timedelta(microseconds=rng.randrange(4 * 365 * 86_400 * 1_000_000))
            for _ in range(count)]


def test_working_time_and_working_day_deadlines_equal_the_calendar() -> None:
    # a local decision the package does not know: a Saturday that is a working day
    CalendarDay.objects.create(date=dt.date(2026, 3, 7), is_workday=True, name="本地调休")
    forget_overrides()
    rng = random.Random(5)
    starts = _instants(rng, 3000)
    ends = [s + dt.timedelta(seconds=rng.uniform(-3600, 25 * 86_400)) for s in starts]
    ends[:40] = [timezone.make_aware(dt.datetime(2026, 3, 7, 8)) + dt.timedelta(hours=i) for i in range(40)]
    days = [rng.randint(0, 12) for _ in starts]
    start_us = np.array([to_us(s) for s in starts], dtype=np.int64)
    end_us = np.array([to_us(e) for e in ends], dtype=np.int64)
    span = span_for(start_us, end_us, ahead_days=60)
    worked = span.working_us(start_us, end_us).tolist()
    due = span.add_workdays(start_us, np.array(days, dtype=np.int64)).tolist()
    for i, (s, e, n) in enumerate(zip(starts, ends, days, strict=True)):
        assert abs(worked[i] / 3_600_000_000 - working_hours_between(s, e)) < 1e-9, (s, e)
        assert due[i] == to_us(add_workdays(s, n)), (s, n)
    # the override counts: 8:00–12:00 on that Saturday is 4 working hours
    saturday = timezone.make_aware(dt.datetime(2026, 3, 7, 8))
    four = span.working_us(np.array([to_us(saturday)]), np.array([to_us(saturday + dt.timedelta(hours=4))]))
    assert four.tolist() == [4 * 3_600_000_000]


def _expected(case: Case, ref: Reference) -> dict[str, object]:
    """The fact of one case, written out case by case from the calendar and the policy table."""
    lead = (Assignment.objects.filter(case=case, role="lead", state__in=ACTIVE_ASSIGNMENT)
            .values_list("department_id", flat=True).first())
    day = (lambda t: timezone.localtime(t).date() if t is not None else None)  # noqa: E731
    closed = case.state == State.CLOSED and case.closed_at is not None
    done = closed and case.handled_at is not None
    seconds = 0
    verified = False
    if done:
        start = case.dispatched_at or case.registered_at or case.created_at
        seconds = round(working_hours_between(start, case.handled_at) * 3600)
        limit = ref.verify_limit(case.category_id, case.urgency, case.owner_id)
        verified = case.closed_at <= limit.due(case.handled_at)
    rated = closed and case.satisfaction is not None
    is_open = case.state in OPEN_STATES
    return {
        "case_id": case.pk, "area": case.area_code, "category_id": case.category_id or 0,
        "channel": case.channel, "department_id": lead or 0, "created_day": day(case.created_at),
        "registered_day": day(case.registered_at), "handled_day": day(case.handled_at),
        "reworked": case.handled_at is not None and case.rework_count > 0,
        "closed_day": day(case.closed_at) if closed else None,
        "closed_on_time": closed and bool(case.closed_on_time), "verified_on_time": verified,
        "handle_seconds": seconds, "handle_count": int(done), "rated": rated,
        "satisfied": rated and case.satisfaction >= kpis.param("satisfied_at_least"),
        "open_due_day": (day(case.due_at) or NO_DUE) if is_open else None,
    }


def _mixed_cases(cast) -> None:  # type: ignore[no-untyped-def]
    build_cases(300, seed=23, now=NOW)
    reopened = to_state(cast, State.CLOSED)
    services.callback(actor=cast["hotline"], case_id=reopened.pk, satisfaction=1)  # reopens
    escalated = to_state(cast, State.REGISTERED)
    services.escalate(actor=cast["street"], case_id=escalated.pk, reason="需区级协调")
    reworked = to_state(cast, State.HANDLED)
    services.verify(actor=cast["grid"], case_id=reworked.pk, passed=False, note="未清理干净")
    rated = to_state(cast, State.CLOSED)
    services.callback(actor=cast["hotline"], case_id=rated.pk, satisfaction=5)
    grid = grid_of()
    to_state(cast, State.CLOSED, grid=grid)
    redraw_grid(actor=cast["sysadmin"], code=grid.code,
                geometry=mapping(scale(shape(grid.geometry), 0.98, 0.98)))
    to_state(cast, State.IN_PROGRESS, grid=grid_of())
    to_state(cast, State.REJECTED)
    to_state(cast, State.MERGED)


def test_facts_equal_the_case_by_case_definitions(cast) -> None:  # type: ignore[no-untyped-def]
    _mixed_cases(cast)
    cases = list(Case.objects.order_by("pk"))
    states = {c.state for c in cases}
    assert {State.CLOSED, State.IN_PROGRESS, State.REJECTED, State.MERGED} <= states
    assert any(c.rework_count for c in cases) and any(c.reopen_count for c in cases)
    facts = facts_for(c.pk for c in cases)
    assert len(facts) == len(cases)
    ref = Reference()
    verified = 0
    for case in cases:
        got = {f: getattr(facts[case.pk], f) for f in FACT_FIELDS}
        want = _expected(case, ref)
        assert got == want, (case.pk, {f: (got[f], want[f]) for f in FACT_FIELDS if got[f] != want[f]})
        verified += int(want["verified_on_time"])
    assert 0 < verified < sum(1 for c in cases if c.state == State.CLOSED)


def _table() -> list[tuple[object, ...]]:
    columns = [f.attname for f in Rollup._meta.concrete_fields if f.attname != "id"]
    nonzero = Rollup.objects.exclude(**dict.fromkeys(MEASURES, 0))
    return sorted(nonzero.values_list(*columns))


def test_rebuild_from_array_facts_passes_the_check_and_equals_the_fold(cast) -> None:  # type: ignore[no-untyped-def]
    _mixed_cases(cast)
    report = rollups.rebuild(chunk=97)  # many chunks, each with its own calendar span
    assert report.cases == Case.objects.count() == CaseFact.objects.count()
    result = check.check()
    assert result.differences == [] and result.rows > 0
    stored = {f.case_id: f for f in CaseFact.objects.all()}
    fresh = facts_for(stored)
    assert all(getattr(stored[i], f) == getattr(fresh[i], f) for i in stored for f in FACT_FIELDS)
    # the fold worker from nothing (``cuts.contributions`` fact by fact) arrives at the same
    # table, every key and every measure
    rebuilt = _table()
    Rollup.objects.all().delete()
    CaseFact.objects.all().delete()
    FoldState.objects.all().delete()
    rollups.fold_all(batch=150)
    assert _table() == rebuilt
    # the check recomputes the working hours itself: one second more in a rollup is found
    since = min(f.closed_day for f in stored.values() if f.closed_day)
    row = Rollup.objects.filter(cut="x", grain="d", period__gte=since, handle_seconds__gt=0).first()
    Rollup.objects.filter(pk=row.pk).update(handle_seconds=row.handle_seconds + 1)
    differences = check.check(since=since).differences
    assert len(differences) == 1 and "handle_seconds" in differences[0]
