"""cases 0010: no index on the timeline's time nor on the case's grid key, and the closing time
indexed for closed cases only; the queries that need them still find their index."""

from __future__ import annotations

import re

import pytest
from django.db import connection

from civicgrid.cases.models import Case, State
from civicgrid.cases.selectors import cases_visible_to

pytestmark = pytest.mark.django_db


def _index_definitions(table: str) -> list[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename = %s", [table])
        else:
            cursor.execute("SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s "
                           "AND sql IS NOT NULL", [table])
        return [row[0].replace('"', "") for row in cursor.fetchall()]


def test_no_index_on_the_timeline_time_nor_the_grid_key() -> None:
    assert not [d for d in _index_definitions("cases_caseevent") if re.search(r"\(at\)", d)]
    assert not [d for d in _index_definitions("cases_case") if "(grid_id)" in d]


def test_the_closing_time_is_indexed_for_closed_cases_only() -> None:
    found = [d for d in _index_definitions("cases_case") if "(closed_at)" in d]
    assert len(found) == 1, found
    assert re.search(r"WHERE \(?closed_at IS NOT NULL\)?", found[0]), found[0]


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_the_closed_list_is_read_in_order_from_the_partial_index(cast) -> None:  # type: ignore[no-untyped-def]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # the test city's table is tiny
        cursor.execute("SET LOCAL enable_sort = off")
    closed = (cases_visible_to(cast["center"]).filter(state=State.CLOSED, closed_at__isnull=False)
              .order_by("-closed_at", "-id")[:20])
    plan = closed.values("id").explain()
    assert "case_closed_at" in plan, plan
    since = (Case.objects.filter(closed_at__gte="2026-01-01T00:00:00+08:00").order_by()
             .values("id").explain())
    assert "case_closed_at" in since, since  # a range on the time implies it is set


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_the_grid_filter_reads_the_area_code_index(cast) -> None:  # type: ignore[no-untyped-def]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    plan = Case.objects.filter(area_code="640202001001001", grid__isnull=False).values("id").explain()
    assert re.search(r"Index Cond: .*area_code", plan), plan
