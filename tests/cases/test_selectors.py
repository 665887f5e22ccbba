"""The scope condition compiled once per scope (``visible_sql``) selects what ``cases_visible_to`` does."""

from __future__ import annotations

import pytest
from django.db import connection

from civicgrid.cases.intake import Report, report_case
from civicgrid.cases.selectors import cases_visible_to, visible_sql

pytestmark = pytest.mark.django_db


def _ids_by_sql(user) -> set[int]:  # type: ignore[no-untyped-def]
    sql, params = visible_sql(user)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM cases_case WHERE {sql}", params)  # noqa: S608 - compiled by Django
        return {row[0] for row in cursor.fetchall()}


def test_every_role_sees_the_same_cases_through_the_compiled_condition(cast, django_user_model) -> None:  # type: ignore[no-untyped-def]
    for grid_code in ("640202001", "640202002"):
        report_case(actor=cast["hotline"], report=Report(
            channel="hotline", title="占道经营", description="门店外摆摊", area_code=grid_code))
    report_case(actor=cast["resident"], report=Report(
        channel="portal", title="路灯不亮", description="小区门口路灯坏了", area_code="640202001"))
    users = [*cast.values(), None, django_user_model(username="nobody")]
    seen = set()
    for user in users:
        expected = set(cases_visible_to(user).values_list("id", flat=True))
        assert _ids_by_sql(user) == expected, getattr(user, "username", None)
        seen.add(len(expected))
    assert len(seen) > 2  # the roles really differ: everything, a township, own reports, nothing
