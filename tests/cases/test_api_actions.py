"""POST /api/v1/cases/{id}/{action}/: the closed loop over the API, and its error codes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from civicgrid.accounts.models import OrgUnit
from civicgrid.cases.models import Case, ExtensionRequest
from tests.cases.test_api import client_for, make_case

pytestmark = pytest.mark.django_db

URL = "/api/v1/cases/"


def act(client: APIClient, case: Case | int, action: str, data=None, **headers):  # type: ignore[no-untyped-def]
    pk = case if isinstance(case, int) else case.pk
    return client.post(f"{URL}{pk}/{action}/", data or {}, format="json", headers=headers or None)


def ok(response):  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.json()
    return response.json()


def test_the_whole_loop_over_the_api(cast) -> None:  # type: ignore[no-untyped-def]
    case = make_case(cast["grid"])
    street, dept = client_for(cast["street"]), client_for(cast["dept"])
    chengguan = OrgUnit.objects.get(code="dept-640202-chengguan")

    data = ok(act(street, case, "register", {"urgency": "urgent", "note": "属实"}))
    assert data["state"] == "registered" and data["urgency"] == "urgent"
    assert "dispatch" in data["allowed_actions"]
    data = ok(act(street, case, "dispatch", {"lead": chengguan.pk, "note": "请处理"}))
    assert data["state"] == "dispatched"
    assert [(a["department"], a["role"]) for a in data["assignments"]] == [(chengguan.pk, "lead")]
    assert ok(dept.get(f"{URL}{case.pk}/"))["allowed_actions"] == ["sign", "return", "request-extension"]
    assert ok(act(dept, case, "sign"))["state"] == "in_progress"
    until = (timezone.now() + dt.timedelta(days=30)).isoformat()
    ok(act(dept, case, "request-extension", {"reason": "需采购配件", "until": until}))
    extension = ExtensionRequest.objects.get(assignment__case=case)
    data = ok(act(street, case, "decide-extension", {"extension": extension.pk, "grant": True}))
    assert data["deadlines"]["handle_due_at"] == data["assignments"][0]["handle_due_at"]
    ok(act(client_for(cast["leader"]), case, "supervise", {"level": 2, "note": "尽快办结"}))
    data = ok(act(dept, case, "handle", {"result": "已清运"}))
    assert data["state"] == "handled" and data["result"] == "已清运"
    data = ok(act(client_for(cast["grid"]), case, "verify", {"passed": False, "note": "还有残留"}))
    assert data["state"] == "in_progress" and data["rework_count"] == 1
    ok(act(dept, case, "handle", {"result": "已彻底清运"}))
    data = ok(act(client_for(cast["grid"]), case, "verify", {"passed": True}))
    assert data["state"] == "closed" and data["timeliness"] is None
    data = ok(act(client_for(cast["hotline"]), case, "callback", {"satisfaction": 5, "comment": "满意"}))
    assert data["satisfaction"] == 5
    assert [e["action"] for e in data["events"]] == [
        "report", "register", "dispatch", "sign", "request_extension", "decide_extension",
        "supervise", "handle", "verify_fail", "handle", "verify_pass", "callback"]
    assert [e["label"] for e in data["events"]][-2:] == ["核查通过", "回访"]


def test_reject_merge_escalate_and_return(cast) -> None:  # type: ignore[no-untyped-def]
    street = client_for(cast["street"])
    a, b, c, d = (make_case(cast["grid"]) for _ in range(4))
    data = ok(act(street, a, "reject", {"reason": "不属于受理范围"}))
    assert data["state"] == "rejected"
    data = ok(act(street, b, "merge", {"into": c.pk}))
    assert data["state"] == "merged" and data["merged_into"] == c.code
    data = ok(act(street, c, "escalate", {"reason": "跨街道"}))
    assert data["owner"] != c.owner_id and data["escalation_count"] == 1
    ok(act(street, d, "register"))
    ok(act(street, d, "dispatch"))  # the category's default department
    data = ok(act(client_for(cast["dept"]), d, "return", {"reason": "不归城管"}))
    assert data["state"] == "registered"


def test_error_codes(cast) -> None:  # type: ignore[no-untyped-def]
    case = make_case(cast["grid"])
    street = client_for(cast["street"])
    # bad input: 400 with fields
    response = act(street, case, "reject", {})
    assert response.status_code == 400 and "reason" in response.json()["fields"]
    response = act(street, case, "supervise", {"level": 9, "note": "x"})
    assert response.status_code == 400 and "level" in response.json()["fields"]
    # no permission: 403 (the grid member sees the case but does not register)
    response = act(client_for(cast["grid"]), case, "register")
    assert response.status_code == 403 and response.json()["code"] == "action_not_permitted"
    # invisible: 404, like a missing case
    for client, pk in ((client_for(cast["dept"]), case.pk), (street, 999_999_999)):
        response = act(client, pk, "register")
        assert response.status_code == 404 and response.json()["code"] == "case_not_found"
    # illegal in this state: 409
    response = act(street, case, "sign")
    assert response.status_code == 409 and response.json()["code"] == "illegal_transition"
    # a lost race: the version the client saw is stale
    seen = street.get(f"{URL}{case.pk}/")
    etag = seen["ETag"]
    ok(act(street, case, "supervise", {"level": 1, "note": "请关注"}))
    response = act(street, case, "register", **{"If-Match": etag})
    assert response.status_code == 409 and response.json()["code"] == "stale_version"
    response = act(street, case, "register", {"version": seen.json()["version"]})
    assert response.status_code == 409 and response.json()["code"] == "stale_version"
    fresh = street.get(f"{URL}{case.pk}/")["ETag"]
    assert ok(act(street, case, "register", **{"If-Match": fresh}))["state"] == "registered"
    response = act(street, case, "supervise", {"level": 1, "note": "x"}, **{"If-Match": "abc"})
    assert response.status_code == 400 and response.json()["code"] == "invalid_if_match"
    assert street.get(f"{URL}{case.pk}/nope/").status_code == 404


def test_schema_lists_every_case_endpoint(cast) -> None:  # type: ignore[no-untyped-def]
    client = client_for(cast["center"])
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    paths = schema["paths"]
    for action in ("register", "reject", "merge", "dispatch", "sign", "return", "handle",
                   "request-extension", "decide-extension", "supervise", "verify", "escalate",
                   "callback"):
        operation = paths[f"/api/v1/cases/{{id}}/{action}/"]["post"]
        assert {"200", "400", "403", "404", "409"} <= set(operation["responses"]), action
        assert operation["requestBody"], action
    assert {"get", "post"} <= set(paths["/api/v1/cases/"])
    assert "/api/v1/cases/{id}/photos/{photo_id}/" in paths
