"""Scale data: cases made in bulk look exactly like the demo's replayed ones to the rest of the
system — legal timelines, the same stored fields, unique codes, years of history."""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from civicgrid.cases.intake import CODE_ALPHABET, CODE_LENGTH
from civicgrid.cases.models import (
    CLOSED_STATES,
    OPEN_STATES,
    STAGE_OF_STATE,
    Assignment,
    Case,
    CaseEvent,
    State,
)
from civicgrid.demo.cases import CHANNELS, build_cases
from civicgrid.demo.scale import Codes, build_scale_cases
from tests.demo.test_cases import _legal

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(dt.datetime(2026, 6, 15, 10, 0))
COUNT = 3000


def _schema() -> set[tuple[str, str]]:
    """Every index and foreign key of the three tables, by name and definition."""
    tables = ["cases_case", "cases_caseevent", "cases_assignment"]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s)",
                           [tables])
            found = set(cursor.fetchall())
            cursor.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                           "WHERE conrelid::regclass::text = ANY(%s)", [tables])
            return found | set(cursor.fetchall())
        cursor.execute("SELECT name, COALESCE(sql, '') FROM sqlite_master WHERE type = 'index' "
                       "AND tbl_name IN (%s, %s, %s)", tables)
        return set(cursor.fetchall())


@pytest.fixture
def scale(db) -> int:  # type: ignore[no-untyped-def]
    build_cases(40, seed=1, now=NOW)  # cases with random codes already there
    return build_scale_cases(COUNT, seed=4, years=4, now=NOW, pool=300, rebuild_indexes=True)


def test_every_timeline_follows_the_transition_table_and_makes_the_stored_case(scale: int) -> None:
    cases = Case.objects.filter(id__in=list(Case.objects.order_by("-id")[:COUNT]
                                            .values_list("id", flat=True)))
    assert scale == cases.count() == COUNT
    chains: dict[int, list[CaseEvent]] = {}
    for e in CaseEvent.objects.filter(case__in=cases).order_by("at", "id"):
        chains.setdefault(e.case_id, []).append(e)
    leads = {a.case_id: a for a in Assignment.objects.filter(
        case__in=cases, role="lead", state__in=["dispatched", "signed", "handled"])}
    for case in cases:
        chain = chains[case.pk]
        assert chain[0].action == "report" and chain[0].at == case.created_at
        assert all(_legal(e) for e in chain), [(e.action, e.from_state, e.to_state) for e in chain]
        assert all(a.to_state == b.from_state and a.at <= b.at
                   for a, b in zip(chain, chain[1:], strict=False))
        assert chain[-1].to_state == case.state and case.version == len(chain) - 1
        assert chain[-1].at <= NOW and case.updated_at == chain[-1].at
        assert case.area_code == case.grid.code and case.owner_id is not None
        if case.state in OPEN_STATES:
            assert case.due_at is not None and case.stage_started_at == max(
                e.at for e in chain if e.to_state != e.from_state)
            assert case.closed_at is None
        else:
            assert case.due_at is None and case.closed_at is not None
        if case.state == State.CLOSED:
            assert case.closed_on_time == (case.handle_due_at is None
                                           or case.handled_at <= case.handle_due_at)
        if case.state in (State.DISPATCHED, State.IN_PROGRESS):
            assert leads[case.pk].state == ("dispatched" if case.state == State.DISPATCHED
                                            else "signed")
        if case.state == State.MERGED:
            target = case.merged_into
            assert target is not None and target.created_at <= case.created_at
            assert target.state != State.MERGED


def test_codes_are_unique_in_the_intake_alphabet_and_the_history_spans_the_years(scale: int) -> None:
    codes = list(Case.objects.values_list("code", flat=True))
    assert len(codes) == len(set(codes)) > COUNT + 40
    assert all(len(c) == CODE_LENGTH and set(c) <= set(CODE_ALPHABET) for c in codes)
    made = Case.objects.order_by("-id")[:COUNT]
    years = Counter(timezone.localtime(c.created_at).year for c in made)
    assert set(years) >= {2023, 2024, 2025, 2026} and min(years.values()) > COUNT * 0.05
    created = [c.created_at for c in made]
    assert created == sorted(created, reverse=True)  # ids grow with time, as in real life
    assert min(created) >= NOW - dt.timedelta(days=round(365.25 * 4)) - dt.timedelta(days=7)


def test_the_mix_is_the_demo_mix(scale: int) -> None:
    made = list(Case.objects.order_by("-id")[:COUNT])
    channels = Counter(c.channel for c in made)
    weights = dict(CHANNELS)
    for channel in ("grid", "hotline", "portal"):
        assert abs(channels[channel] / COUNT - weights[channel] / 100) < 0.06, channels
    states = Counter(c.state for c in made)
    assert states[State.CLOSED] / COUNT > 0.8 and states[State.REJECTED] and states[State.MERGED]
    still_open = [c for c in made if c.state in OPEN_STATES]
    assert still_open and any(c.due_at < NOW for c in still_open)  # overdue ones, as in life
    assert any(c.created_at > NOW - dt.timedelta(days=10) for c in still_open)  # recent, open
    rated = [c.satisfaction for c in made if c.satisfaction is not None]
    assert 0.5 < len(rated) / COUNT < 0.85 and set(rated) <= {1, 2, 3, 4, 5}
    assert len({c.grid_id for c in made}) > 40 and len({c.category_id for c in made}) > 20
    stages = {STAGE_OF_STATE.get(State(c.state)) for c in still_open}
    assert stages <= set(STAGE_OF_STATE.values())
    assert {c.state for c in made} <= OPEN_STATES | CLOSED_STATES


def test_indexes_and_foreign_keys_come_back_as_they_were(db) -> None:  # type: ignore[no-untyped-def]
    before = _schema()
    build_scale_cases(50, seed=9, now=NOW, rebuild_indexes=True)
    assert _schema() == before
    assert Case.objects.count() == 50 and CaseEvent.objects.filter(action="report").count() == 50


def test_the_code_permutation_never_repeats() -> None:
    import random

    codes = Codes(random.Random(3)).take(200_000)
    assert len(set(codes)) == len(codes)


def test_nothing_to_make() -> None:
    assert build_scale_cases(0) == 0


def test_the_demo_command_adds_scale_cases_to_the_demo_city(db) -> None:  # type: ignore[no-untyped-def]
    out = io.StringIO()
    call_command("demo", "--no-migrate", "--add-cases", "120", "--years", "2", stdout=out,
                 stderr=io.StringIO())
    assert "已批量生成 120 件事件" in out.getvalue() and "演示城市已存在" in out.getvalue()
    assert Case.objects.count() == 120
    assert Case.objects.filter(created_at__lt=timezone.now() - dt.timedelta(days=366)).exists()
    with pytest.raises(CommandError):
        call_command("demo", "--no-migrate", "--add-cases", "-1", stdout=io.StringIO())
