"""GET requests: filters, the 90-day window, open/closed at the edge, no personal data."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from civicgrid.cases import services as case_services
from civicgrid.cases.models import Case, Category, State
from tests.cases.flows import CITY_GUAN, dept, to_state
from tests.open311.helpers import BASE, body, post

pytestmark = pytest.mark.django_db

REQUEST_KEYS = ["service_request_id", "status", "status_notes", "service_name", "service_code",
                "description", "agency_responsible", "service_notice", "requested_datetime",
                "updated_datetime", "expected_datetime", "address", "address_id", "zipcode",
                "lat", "long", "media_url"]


def _get(path: str = "requests.json", **params: str):  # type: ignore[no-untyped-def]
    return Client().get(f"{BASE}/{path}", params)


def _filed(**overrides: str) -> Case:
    return Case.objects.get(code=body(post(**overrides))[0]["service_request_id"])


def test_a_request_in_json_has_the_spec_fields_and_no_personal_data(cast) -> None:  # type: ignore[no-untyped-def]
    case = _filed(description="垃圾堆放，联系我 13912345678，身份证 640202199001011234")
    response = _get(f"requests/{case.code}.json")
    assert response.status_code == 200
    (row,) = body(response)
    assert list(row) == REQUEST_KEYS
    assert row["service_request_id"] == case.code and row["status"] == "open"
    assert row["service_code"] == "shirong-laji" and row["service_name"] == "垃圾堆放与清运不及时"
    assert row["status_notes"] == "待受理"
    assert row["agency_responsible"] == "长胜街道综治中心"
    assert row["requested_datetime"].endswith("+08:00")
    assert row["expected_datetime"].endswith("+08:00")  # the accept deadline while reported
    assert row["lat"] == case.lat and row["long"] == case.lng and row["media_url"] == ""
    text = response.content.decode()
    for secret in ("13912345678", "640202199001011234", "周", "zhou@example.org", "13912345678"):
        assert secret not in text
    assert "139****5678" in row["description"] and "6402**********1234" in row["description"]


def test_a_request_in_xml(cast) -> None:  # type: ignore[no-untyped-def]
    case = _filed()
    root = body(_get(f"requests/{case.code}.xml"))
    assert root.tag == "service_requests"
    (request,) = root.findall("request")
    assert [c.tag for c in request] == REQUEST_KEYS
    assert request.findtext("status") == "open" and request.findtext("service_notice") == ""


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_an_unknown_request_is_404(fmt: str) -> None:
    response = _get(f"requests/NOSUCHCODE.{fmt}")
    assert response.status_code == 404
    data = body(response)
    assert (data[0]["code"] if fmt == "json" else int(data.findtext("error/code"))) == 404


def test_states_map_to_open_and_closed_with_notes_and_the_lead_department(cast) -> None:  # type: ignore[no-untyped-def]
    progress = to_state(cast, State.IN_PROGRESS)
    closed = to_state(cast, State.CLOSED)
    rejected = to_state(cast, State.REJECTED)
    rows = {r["service_request_id"]: r for r in body(_get(
        service_request_id=f"{progress.code},{closed.code},{rejected.code}"))}
    assert rows[progress.code]["status"] == "open"
    assert rows[progress.code]["agency_responsible"] == dept("chengguan").name
    assert rows[progress.code]["expected_datetime"] is not None
    progress.refresh_from_db()
    assert rows[progress.code]["expected_datetime"] == timezone.localtime(
        progress.handle_due_at).isoformat(timespec="seconds")
    assert rows[closed.code]["status"] == "closed" and rows[closed.code]["expected_datetime"] is None
    assert rows[closed.code]["status_notes"].startswith("已结案")
    assert rows[rejected.code]["status"] == "closed"
    assert rows[rejected.code]["status_notes"] == "不予立案：不属于受理范围"
    assert CITY_GUAN  # the demo's 城管 handled it


def test_filters_status_service_code_and_ids(cast) -> None:  # type: ignore[no-untyped-def]
    a = _filed()
    b = _filed(service_code="sheshi-ludeng")
    case_services.reject(actor=cast["street"], case_id=b.pk, reason="重复")
    codes = lambda **p: {r["service_request_id"] for r in body(_get(**p))}  # noqa: E731
    assert {a.code, b.code} <= codes()
    assert a.code in codes(status="open") and b.code not in codes(status="open")
    assert b.code in codes(status="closed") and a.code not in codes(status="closed")
    assert {a.code, b.code} <= codes(status="open,closed")
    assert codes(service_code="sheshi-ludeng") & {a.code, b.code} == {b.code}
    assert codes(service_code="sheshi-ludeng,shirong-laji") >= {a.code, b.code}
    assert codes(service_request_id=f"{a.code}, {b.code}", status="open") == {a.code, b.code}


def test_the_default_window_is_90_days_and_explicit_windows_are_bounded(cast) -> None:  # type: ignore[no-untyped-def]
    old = _filed()
    Case.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=120))
    new = _filed()
    codes = lambda **p: {r["service_request_id"] for r in body(_get(**p))}  # noqa: E731
    assert new.code in codes() and old.code not in codes()
    start = (timezone.localdate() - dt.timedelta(days=125)).isoformat()
    assert old.code in codes(start_date=start) and new.code not in codes(start_date=start)
    end = (timezone.now() - dt.timedelta(days=100)).isoformat()
    assert old.code in codes(end_date=end)
    assert old.code in codes(start_date=start + "T00:00:00+08:00",
                             end_date=(timezone.localdate() - dt.timedelta(days=100)).isoformat())


@pytest.mark.parametrize(("params", "words"), [
    ({"start_date": "yesterday"}, "start_date"),
    ({"end_date": "2026-13-40"}, "end_date"),
    ({"start_date": "2026-01-01", "end_date": "2026-06-01"}, "90"),
    ({"start_date": "2026-03-01", "end_date": "2026-02-01"}, "end_date"),
    ({"status": "pending"}, "status"),
])
def test_bad_query_parameters_are_400(params: dict[str, str], words: str) -> None:
    for fmt in ("json", "xml"):
        response = _get(f"requests.{fmt}", **params)
        assert response.status_code == 400
        data = body(response)
        description = data[0]["description"] if fmt == "json" else data.findtext("error/description")
        assert words in description


def test_cases_of_non_public_categories_never_appear(cast) -> None:  # type: ignore[no-untyped-def]
    case = _filed()
    Category.objects.filter(pk=case.category_id).update(is_public=False)
    assert _get(f"requests/{case.code}.json").status_code == 404
    assert case.code not in {r["service_request_id"] for r in body(_get())}


def test_at_most_1000_results_newest_first(cast) -> None:  # type: ignore[no-untyped-def]
    template = _filed()
    now = timezone.now()
    Case.objects.bulk_create([Case(
        code=f"BULK{i:06d}", channel="open311", category=template.category, title="t",
        description="d", area_code=template.area_code, owner=template.owner, state="reported",
        created_at=now - dt.timedelta(minutes=i + 1), stage_started_at=now,
    ) for i in range(1005)])
    rows = body(_get())
    assert len(rows) == 1000
    assert rows[0]["service_request_id"] == template.code  # newest first
    assert rows[-1]["service_request_id"] == "BULK000998"
