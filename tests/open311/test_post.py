"""POST requests: a GeoReport v2 form becomes a case in the centre's queue; errors per spec."""

from __future__ import annotations

import pytest
from django.test import Client

from civicgrid.cases.models import Case, CaseEvent
from civicgrid.cases.selectors import cases_visible_to
from civicgrid.core.personal import is_sealed, unseal
from civicgrid.open311 import keys
from civicgrid.open311.demo import DEMO_CLIENT_NAME
from civicgrid.open311.models import Open311Client, Open311Submission
from tests.open311.helpers import BASE, body, post

pytestmark = pytest.mark.django_db


def test_post_creates_a_case_in_the_street_centres_queue(cast) -> None:  # type: ignore[no-untyped-def]
    response = post(**{"attribute[urgency]": "urgent", "account_id": "acc-9",
                       "device_id": "dev-1", "media_url": "http://example.org/a.jpg"})
    assert response.status_code == 200, response.content
    (answer,) = body(response)
    assert list(answer) == ["service_request_id", "service_notice", "account_id"]
    assert answer["account_id"] == "acc-9"
    case = cases_visible_to(cast["street"]).get(code=answer["service_request_id"])
    assert case.channel == "open311" and case.channel_detail == DEMO_CLIENT_NAME
    assert case.state == "reported" and case.owner.area.code == "640202001"
    assert case.category.code == "shirong-laji" and case.urgency == "urgent"
    assert case.grid is not None and case.grid.code.startswith("640202001")
    assert case.reporter_name == "周 磊" and case.reporter_phone_plain == "13912345678"
    assert case.reporter is None  # a system channel: no user of ours filed it
    assert CaseEvent.objects.filter(case=case, action="report").count() == 1
    submission = Open311Submission.objects.get(case=case)
    assert submission.device_id == "dev-1" and submission.client.name == DEMO_CLIENT_NAME
    assert is_sealed(submission.email) and unseal(submission.email) == "zhou@example.org"
    assert case.reporter_phone != "13912345678"  # personal data sealed at rest
    # the token resolves to the request id
    token = body(Client().get(f"{BASE}/tokens/{submission.token}.json"))
    assert token == [{"service_request_id": case.code, "token": submission.token}]
    root = body(Client().get(f"{BASE}/tokens/{submission.token}.xml"))
    assert root.tag == "service_requests" and root.findtext("request/service_request_id") == case.code


def test_post_with_an_address_only_goes_to_the_clients_jurisdiction(cast) -> None:  # type: ignore[no-untyped-def]
    response = post(lat=None, long=None, address_string="大武口区人民路 8 号")
    assert response.status_code == 200, response.content
    case = Case.objects.get(code=body(response)[0]["service_request_id"])
    assert case.area_code == "640202" and case.owner.code == "center-640202"
    assert case in cases_visible_to(cast["center"])


def test_post_answers_xml(cast) -> None:  # type: ignore[no-untyped-def]
    response = post("xml")
    assert response.status_code == 200
    root = body(response)
    assert root.tag == "service_requests"
    assert [c.tag for c in root.find("request")] == [  # type: ignore[union-attr]
        "service_request_id", "service_notice", "account_id"]


def _error(response, status: int) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.content
    data = body(response)
    if isinstance(data, list):
        assert len(data) == 1 and data[0]["code"] == status
        return data[0]["description"]
    assert data.tag == "errors" and data.findtext("error/code") == str(status)
    return data.findtext("error/description")


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_post_errors_follow_the_spec(fmt: str) -> None:
    before = Case.objects.count()
    assert "service_code" in _error(post(fmt, service_code=""), 400)
    assert "nope" in _error(post(fmt, service_code="nope"), 400)
    assert "api_key" in _error(post(fmt, api_key="wrong-key-123"), 403)
    assert "api_key" in _error(post(fmt, api_key=""), 403)
    assert "位置" in _error(post(fmt, lat=None, long=None, address_string=""), 400)
    assert "lat" in _error(post(fmt, lat="abc"), 400)
    assert "不在辖区" in _error(post(fmt, lat="39.9", long="116.4"), 400)  # Beijing
    assert "urgency" in _error(post(fmt, **{"attribute[urgency]": "asap"}), 400)
    assert "999999" in _error(post(fmt, jurisdiction_id="999999"), 404)
    assert Case.objects.count() == before  # nothing half-filed


def test_a_key_for_a_township_cannot_file_in_another() -> None:
    issued = keys.issue_key(actor=None, name="石炭井系统", jurisdiction_code="640202002")
    assert "不在辖区" in _error(post(api_key=issued.key), 400)  # the point is in 640202001
    assert "640202001" in _error(post(api_key=issued.key, jurisdiction_id="640202001"), 403)


def test_a_revoked_key_is_refused(cast) -> None:  # type: ignore[no-untyped-def]
    issued = keys.issue_key(actor=cast["sysadmin"], name="小程序后台", jurisdiction_code="640202")
    assert post(api_key=issued.key).status_code == 200
    keys.revoke_key(actor=cast["sysadmin"], client=issued.client)
    assert "api_key" in _error(post(api_key=issued.key), 403)


def test_the_rate_limit_answers_429_with_an_errors_body() -> None:
    issued = keys.issue_key(actor=None, name="限流测试", jurisdiction_code="640202",
                            rate_limit_per_minute=2)
    assert post(api_key=issued.key, service_code="").status_code == 400
    assert post(api_key=issued.key, service_code="").status_code == 400
    response = post(api_key=issued.key)
    assert "每分钟最多 2 次" in _error(response, 429)
    assert 1 <= int(response["Retry-After"]) <= 61
    # other clients have their own budget
    assert post(service_code="").status_code == 400
    # a new minute opens a new window
    Open311Client.objects.filter(pk=issued.client.pk).update(
        window_started_at=issued.client.created_at.replace(year=2020))
    assert post(api_key=issued.key).status_code == 200
