"""An offline report sent 5 times at once with one Idempotency-Key makes exactly one case.

Real threads, each with its own database connection, released together by a barrier, through
the HTTP API (APIClient → DRF → intake). Runs on SQLite and on PostgreSQL (make test).
"""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient
from shapely.geometry import shape

from civicgrid.accounts.models import User
from civicgrid.areas.models import Grid
from civicgrid.cases.models import Case, CaseEvent, IdempotencyKey
from tests.cases.flows import race

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("demo_city")]

SENDS = 5


def _post_together(username: str, payload: dict[str, Any], keys: list[str]) -> list[Any]:
    def login(_i: int) -> APIClient:
        client = APIClient()
        client.force_authenticate(User.objects.get(username=username))
        return client

    def send(key: str):  # type: ignore[no-untyped-def]
        def call(client: APIClient) -> tuple[int, Any]:
            response = client.post("/api/v1/cases/", payload, format="json",
                                   headers={"Idempotency-Key": key})
            return response.status_code, response.json()
        return call

    return race([send(key) for key in keys], prepare=login)


def _payload(title: str = "楼道堆放杂物") -> dict[str, Any]:
    grid = Grid.objects.current().filter(code__startswith="640202001").order_by("code").first()
    assert grid is not None
    point = shape(grid.geometry).representative_point()
    return {"channel": "grid", "title": title, "description": "离线时拍的，恢复信号后重发",
            "category": "anquan-xiaofang", "lng": point.x, "lat": point.y}


def test_five_concurrent_sends_with_one_key_make_one_case() -> None:
    results = _post_together("grid", _payload(), ["offline-7f3a"] * SENDS)
    assert all(isinstance(r, tuple) for r in results), results
    statuses = sorted(status for status, _data in results)
    assert statuses == [200] * (SENDS - 1) + [201], results
    ids = {data["id"] for _status, data in results}
    assert len(ids) == 1
    case = Case.objects.get(pk=ids.pop())
    assert Case.objects.filter(title="楼道堆放杂物").count() == 1
    assert IdempotencyKey.objects.get(key="offline-7f3a").case_id == case.pk
    assert CaseEvent.objects.filter(case=case).count() == 1


def test_concurrent_sends_with_different_keys_make_one_case_each() -> None:
    results = _post_together("grid", _payload("另一批离线上报"), [f"batch-{i}" for i in range(SENDS)])
    assert [r[0] if isinstance(r, tuple) else r for r in results] == [201] * SENDS, results
    assert len({data["id"] for _status, data in results}) == SENDS
    assert Case.objects.filter(title="另一批离线上报").count() == SENDS


def test_a_report_whose_timeline_entry_fails_leaves_no_case_and_no_key() -> None:
    """Outside any transaction (as a server request runs): on PostgreSQL the case, its entry
    and its key are one statement, elsewhere one transaction — either way all or nothing."""
    from django.db import DatabaseError

    from tests.cases.flows import failing_timeline_insert

    client = APIClient()
    client.force_authenticate(User.objects.get(username="grid"))
    before = Case.objects.count()
    with pytest.raises(DatabaseError), failing_timeline_insert("disk full (injected)"):
        client.post("/api/v1/cases/", _payload("断电后重发"), format="json",
                    headers={"Idempotency-Key": "offline-disk-full"})
    assert Case.objects.count() == before
    assert not IdempotencyKey.objects.filter(key="offline-disk-full").exists()
    response = client.post("/api/v1/cases/", _payload("断电后重发"), format="json",
                           headers={"Idempotency-Key": "offline-disk-full"})
    assert response.status_code == 201, response.json()  # the key was not spent by the failure
    assert CaseEvent.objects.filter(case_id=response.json()["id"]).count() == 1
