"""``loader.Table.insert`` (SQLite bulk path): multi-row INSERTs store exactly what the ORM
would, across statement boundaries, with the model's defaults written as SQL literals."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from civicgrid.accounts.models import OrgUnit
from civicgrid.cases.imports import loader
from civicgrid.cases.models import Case, CaseEvent

pytestmark = [pytest.mark.django_db,
              pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's insert path")]


@pytest.mark.parametrize("value", [None, True, False, 0, -7, 2**40, 1.5, -0.25, "", "it's",
                                   "''", "中文 '引号' \\n", '{"a": [1, "b"]}'])
def test_a_literal_reads_back_as_the_bound_value(value: object) -> None:
    text = loader._literal(value)
    assert text is not None
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {text}, %s", [value])  # noqa: S608 - the literal under test
        literal, bound = cursor.fetchone()
    assert literal == bound and type(literal) is type(bound)


def test_values_that_must_be_bound_are_not_literals() -> None:
    assert loader._literal(dt.datetime(2026, 1, 1)) is None
    assert loader._literal(float("nan")) is None and loader._literal(float("inf")) is None
    assert loader._literal("a\x00b") is None


def test_rows_across_statements_are_stored_as_the_orm_stores_them(db) -> None:  # type: ignore[no-untyped-def]
    owner = OrgUnit.objects.order_by("id").first()  # the demo cast's
    assert owner is not None
    now = timezone.now().replace(microsecond=0)
    case = Case.objects.create(code="LOADERTEST", title="t", area_code="640202", owner=owner,
                               created_at=now, stage_started_at=now)
    count = loader.ROWS_PER_INSERT * 2 + 37  # two full statements and a short one
    start = dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC)
    rows = [(case.pk, start + dt.timedelta(seconds=7 * i, microseconds=i % 3), f"甲'{i}",
             "comment", "reported", "reported", f"note {i}", f'{{"i": {i}}}')
            for i in range(count)]
    table = loader.Table(CaseEvent, ("case_id", "at", "actor_name", "action", "from_state",
                                     "to_state", "note", "data"), now)
    before = CaseEvent.objects.count()
    with connection.cursor() as cursor:
        assert table.insert(cursor.cursor, rows) == count
    stored = list(CaseEvent.objects.filter(case=case).order_by("id"))
    assert CaseEvent.objects.count() == before + count == before + len(stored)
    for row, event in zip(rows, stored, strict=True):
        assert (event.at, event.actor_name, event.note, event.data) == (row[1], row[2], row[6], {"i": int(row[6][5:])})
        assert event.actor_id is None and event.actor_org_id is None  # the defaults, as literals
    # times given as the stored text already: the same rows again
    ready = [(r[0], str(r[1].astimezone(dt.UTC).replace(tzinfo=None)), *r[2:]) for r in rows]
    with connection.cursor() as cursor:
        table.insert(cursor.cursor, ready, times_ready=True)
    again = list(CaseEvent.objects.filter(case=case).order_by("id"))[count:]
    assert [e.at for e in again] == [e.at for e in stored]
