"""/api/v1/cases/: create (with Idempotency-Key), list filters, detail, scope, personal data."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient
from shapely.geometry import shape

from civicgrid.accounts.models import OrgUnit
from civicgrid.areas.models import Grid
from civicgrid.cases import services
from civicgrid.cases.intake import Report, report_case
from civicgrid.cases.models import Case, IdempotencyKey

pytestmark = pytest.mark.django_db

URL = "/api/v1/cases/"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"


def client_for(user) -> APIClient:  # type: ignore[no-untyped-def]
    client = APIClient()
    client.force_authenticate(user)
    return client


def grid_point(prefix: str = "640202001") -> tuple[Grid, float, float]:
    grid = Grid.objects.current().filter(code__startswith=prefix).order_by("code").first()
    assert grid is not None
    point = shape(grid.geometry).representative_point()
    return grid, point.x, point.y


def body(**extra):  # type: ignore[no-untyped-def]
    grid, lng, lat = grid_point()
    data = {"channel": "grid", "title": "垃圾堆放", "description": "小区门口垃圾三天没人清运",
            "category": "shirong-laji", "lng": lng, "lat": lat, "reporter_name": "王大妈",
            "reporter_phone": "13812345678"}
    data.update(extra)
    return data


def make_case(actor, *, prefix: str = "640202001", category: str = "shirong-laji",  # type: ignore[no-untyped-def]
              channel: str = "grid", title: str = "垃圾堆放") -> Case:
    grid, lng, lat = grid_point(prefix)
    return report_case(actor=actor, report=Report(channel=channel, title=title, description="描述",
                                                  category=category, lng=lng, lat=lat))


def test_create_places_the_case_and_answers_with_a_lean_body(cast) -> None:  # type: ignore[no-untyped-def]
    grid, _lng, _lat = grid_point()
    response = client_for(cast["grid"]).post(URL, body(), format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    case = Case.objects.get(pk=data["id"])
    assert data["code"] == case.code and data["state"] == "reported"
    assert data["grid"] == grid.code and data["category"] == "shirong-laji"
    assert response["Location"] == f"{URL}{case.pk}/"
    assert response["ETag"] == f'"{case.version}"'
    assert data["owner"] == case.owner_id and data["due_at"] is not None
    assert data["suspected_duplicates"] == []
    # the 201 body is lean; the detail behind Location has the rest
    assert "events" not in data and "reporter_phone" not in data
    detail = client_for(cast["grid"]).get(response["Location"]).json()
    assert [e["action"] for e in detail["events"]] == ["report"]
    assert detail["events"][0]["label"] == "上报" and detail["events"][0]["actor_name"] == "网格员 马小燕"
    assert detail["reporter_phone"] == "138****5678"
    assert detail["reporter_name"] == "王大妈"  # staff see the name
    assert detail["deadlines"]["stage"] == "accept" and detail["deadlines"]["timeliness"] == "normal"
    assert detail["due_at"] == data["due_at"]
    assert detail["allowed_actions"] == []  # a grid member does not register
    again = client_for(cast["grid"]).post(URL, body(title="同一堆垃圾"), format="json").json()
    assert [(d["id"], d["code"]) for d in again["suspected_duplicates"]] == [(case.pk, case.code)]
    assert again["suspected_duplicates"][0]["distance_m"] < 1
    street = client_for(cast["street"]).get(f"{URL}{case.pk}/").json()
    assert street["allowed_actions"] == ["register", "reject", "merge", "supervise", "escalate"]
    assert street["reporter_phone"] == "138****5678"  # masked for every role


def test_create_checks_input_with_fields(cast) -> None:  # type: ignore[no-untyped-def]
    client = client_for(cast["grid"])
    response = client.post(URL, body(title="", channel="fax"), format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "validation_failed"
    assert set(response.json()["fields"]) == {"title", "channel"}
    response = client.post(URL, body(category="no-such"), format="json")
    assert response.status_code == 400 and response.json()["code"] == "unknown_category"
    response = client.post(URL, body(on_the_spot_result=""), format="json")
    assert response.status_code == 400


def test_idempotency_key_replays_and_refuses_a_different_body(cast) -> None:  # type: ignore[no-untyped-def]
    client = client_for(cast["grid"])
    headers = {"Idempotency-Key": "offline-0001"}
    first = client.post(URL, body(), format="json", headers=headers)
    again = client.post(URL, body(), format="json", headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert Case.objects.filter(pk=first.json()["id"]).count() == 1
    other = client.post(URL, body(title="另一件事"), format="json", headers=headers)
    assert other.status_code == 409 and other.json()["code"] == "idempotency_key_reused"
    # another user replaying the same body with the same key does not get someone else's case
    stolen = client_for(cast["head"]).post(URL, body(), format="json", headers=headers)
    assert stolen.status_code == 409 and stolen.json()["code"] == "idempotency_key_reused"
    assert IdempotencyKey.objects.filter(key="offline-0001").count() == 1


def test_on_the_spot_goes_straight_to_handled(cast) -> None:  # type: ignore[no-untyped-def]
    response = client_for(cast["grid"]).post(URL, body(on_the_spot_result="已现场清理"), format="json")
    assert response.status_code == 201
    data = response.json()
    assert data["state"] == "handled" and data["on_the_spot"] is True
    detail = client_for(cast["grid"]).get(response["Location"]).json()
    assert [e["action"] for e in detail["events"]] == ["report", "resolve_on_spot"]
    refused = client_for(cast["hotline"]).post(URL, body(on_the_spot_result="已处理"), format="json")
    assert refused.status_code == 403 and refused.json()["code"] == "action_not_permitted"


def test_list_filters_and_ordering(cast) -> None:  # type: ignore[no-untyped-def]
    grid_member = cast["grid"]
    a = make_case(grid_member, title="A")
    b = make_case(grid_member, category="sheshi-ludeng", title="B")
    c = make_case(cast["hotline"], prefix="640202002", channel="hotline", title="C")
    services.register(actor=cast["street"], case_id=a.pk)
    dept = OrgUnit.objects.get(code="dept-640202-chengguan")
    services.dispatch(actor=cast["street"], case_id=a.pk, lead=dept.pk)
    Case.objects.filter(pk=b.pk).update(due_at=timezone.now() - dt.timedelta(hours=1),
                                        created_at=timezone.now() - dt.timedelta(days=3))
    client = client_for(cast["center"])

    def ids(**params):  # type: ignore[no-untyped-def]
        response = client.get(URL, params)
        assert response.status_code == 200, response.json()
        return [r["id"] for r in response.json()["results"]]

    mine = {a.pk, b.pk, c.pk}
    assert set(ids(state="reported")) & mine == {b.pk, c.pk}
    assert set(ids(state="dispatched,reported")) & mine == mine
    repeated = client.get(URL + "?state=dispatched&state=reported&page_size=500").json()["results"]
    assert {r["id"] for r in repeated} & mine == mine
    assert set(ids(category="sheshi")) & mine == {b.pk}  # a 大类 includes its 小类
    assert set(ids(category="shirong-laji")) & mine == {a.pk, c.pk}
    assert set(ids(channel="hotline")) & mine == {c.pk}
    assert set(ids(area="640202002")) & mine == {c.pk}
    assert set(ids(grid=a.grid.code)) & mine == {a.pk, b.pk}
    village = report_case(actor=cast["hotline"], report=Report(  # placed in a village, no grid
        channel="hotline", title="D", description="描述", category="shirong-laji",
        area_code="640202001001"))
    assert village.grid_id is None and village.area_code == "640202001001"
    assert village.pk not in ids(grid="640202001001")  # a village's code names no grid
    lead = a.assignments.get().department_id
    assert ids(department=lead) == [a.pk]
    assert set(ids(overdue="true")) & mine == {b.pk}
    assert b.pk not in ids(overdue="false")
    yesterday = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    assert b.pk not in ids(created_after=yesterday) and a.pk in ids(created_after=yesterday)
    assert set(ids(created_before=yesterday)) & mine == {b.pk}
    ordered = [i for i in ids(ordering="created_at") if i in mine]
    assert ordered[0] == b.pk
    row = client.get(URL, {"overdue": "true"}).json()["results"][0]
    assert row["timeliness"] == "overdue" and "events" not in row
    for bad in ({"state": "nope"}, {"ordering": "title"}, {"overdue": "maybe"},
                {"created_after": "yesterday"}, {"department": "x"}):
        response = client.get(URL, bad)
        assert response.status_code == 400 and response.json()["fields"], bad


def test_scope_out_of_scope_is_404_like_missing(cast) -> None:  # type: ignore[no-untyped-def]
    other = make_case(cast["hotline"], prefix="640202002")
    grid_client = client_for(cast["grid"])
    outside = grid_client.get(f"{URL}{other.pk}/")
    missing = grid_client.get(f"{URL}999999999/")
    assert outside.status_code == missing.status_code == 404
    assert outside.json() == missing.json() and outside.json()["code"] == "case_not_found"
    assert other.pk not in [r["id"] for r in grid_client.get(URL).json()["results"]]
    # a department sees only what was assigned to it
    assert client_for(cast["dept"]).get(f"{URL}{other.pk}/").status_code == 404
    assert client_for(cast["sysadmin"]).get(URL).json()["results"] == []
    assert APIClient().get(URL).status_code == 401


def test_resident_sees_own_cases_without_reporter_name(cast) -> None:  # type: ignore[no-untyped-def]
    resident = client_for(cast["resident"])
    response = resident.post(URL, body(channel="portal", reporter_name="周磊"), format="json")
    assert response.status_code == 201
    assert resident.get(response["Location"]).json()["reporter_name"] == ""
    other = make_case(cast["grid"])
    listed = [r["id"] for r in resident.get(URL).json()["results"]]
    assert listed == [response.json()["id"]] and other.pk not in listed
    assert client_for(cast["street"]).get(f"{URL}{listed[0]}/").json()["reporter_name"] == "周磊"


def test_a_taken_case_code_is_retried_with_a_new_one(cast, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from civicgrid.cases import intake

    taken = make_case(cast["grid"]).code
    codes = iter([taken, taken, "NEWCODE234"])
    monkeypatch.setattr(intake, "new_code", lambda: next(codes))
    case = make_case(cast["grid"])
    assert case.code == "NEWCODE234"
    assert Case.objects.filter(code=taken).count() == 1
