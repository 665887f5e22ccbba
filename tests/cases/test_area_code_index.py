"""cases 0008 (PostgreSQL): ``area_code`` compares bytewise, and its one btree serves equality,
``IN`` and the prefix matches of every scope filter (no ``varchar_pattern_ops`` twin to write)."""

from __future__ import annotations

import re

import pytest
from django.db import connection

from civicgrid.cases.models import Case
from civicgrid.cases.selectors import cases_visible_to

pytestmark = [pytest.mark.django_db,
              pytest.mark.skipif("connection.vendor != 'postgresql'")]


def test_area_code_has_collation_c_and_one_index() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT collation_name FROM information_schema.columns "
                       "WHERE table_name = 'cases_case' AND column_name = 'area_code'")
        assert cursor.fetchone()[0] == "C"
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename = 'cases_case' "
                       "AND indexdef LIKE '%(area_code%'")
        definitions = [row[0] for row in cursor.fetchall()]
    assert len(definitions) == 1 and "pattern_ops" not in definitions[0]


@pytest.mark.parametrize("username", ["street", "grid", "head"])
def test_scope_filters_find_cases_through_the_area_code_index(cast, username: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # the test city's table is tiny
    plan = cases_visible_to(cast[username]).values("id").explain()
    assert re.search(r"Index Cond: .*area_code", plan), plan
    prefix = Case.objects.filter(area_code__startswith="640202001").values("id").explain()
    assert re.search(r"Index Cond: .*area_code.* >= '640202001'", prefix), prefix
