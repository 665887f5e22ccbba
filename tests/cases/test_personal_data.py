"""A reporter's phone is personal data (DESIGN.md §5): sealed at rest by every channel, found
by its keyed hash, shown masked, used in clear only where it must be (an SMS to the reporter)."""

from __future__ import annotations

import io

import pytest
from django.db import connection
from rest_framework.test import APIClient

from civicgrid.cases.imports.mapping import Mapping
from civicgrid.cases.imports.service import import_cases
from civicgrid.cases.models import Case
from civicgrid.core.personal import is_sealed, lookup_hash

pytestmark = pytest.mark.django_db

PHONE = "13812345678"


def test_no_channel_stores_the_phone_in_clear(cast) -> None:  # type: ignore[no-untyped-def]
    api = APIClient()
    api.force_authenticate(cast["hotline"])
    created = api.post("/api/v1/cases/", {"channel": "hotline", "title": "噪声扰民", "description": "夜间施工",
                                          "area": "640202001", "reporter_phone": PHONE}, format="json")
    assert created.status_code == 201, created.json()
    csv = ("工单编号,来电时间,诉求内容,问题分类,被反映区/街道,联系电话\n"
           f"GD-P1,2026/1/6 12:09:38,路灯不亮,公共设施,长胜街道,{PHONE}\n").encode("utf-8-sig")
    result = import_cases(actor=cast["center"], file=io.BytesIO(csv), name="p.csv", mapping=Mapping())
    assert result.created == 1, result.rejected
    with connection.cursor() as cursor:
        cursor.execute("SELECT reporter_phone, reporter_phone_hash FROM cases_case WHERE reporter_phone <> ''")
        stored = cursor.fetchall()
    assert len(stored) >= 2
    assert all(is_sealed(token) and PHONE not in token for token, _hash in stored)
    assert {hash_ for _token, hash_ in stored} == {lookup_hash(PHONE)}
    case = Case.objects.get(pk=created.json()["id"])
    assert case.reporter_phone_plain == PHONE
    assert api.get(f"/api/v1/cases/{case.pk}/").json()["reporter_phone"] == "138****5678"
    again = import_cases(actor=cast["center"], file=io.BytesIO(csv), name="p.csv", mapping=Mapping())
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)  # the hash decides, not the token
