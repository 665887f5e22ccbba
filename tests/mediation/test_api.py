"""/api/v1/disputes/ and /api/v1/screening-reports/: the loop over the API, masking, errors."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from rest_framework.test import APIClient

from civicgrid.accounts.models import User
from civicgrid.mediation.kpis import dispute_kpis, level_stats, query
from civicgrid.mediation.models import Dispute
from civicgrid.mediation.services import current_period
from tests.cases.test_api import client_for
from tests.mediation.flows import cun, grid_of

pytestmark = pytest.mark.django_db

URL = "/api/v1/disputes/"
BODY = {
    "dispute_type": "boundary", "summary": "两户牧民草场边界放牧纠纷", "risk": "low",
    "people_count": 6, "amount": "12000.00",
    "parties": [
        {"name": "马建军", "side": "applicant", "id_number": "640202198501011234",
         "phone": "13812345678", "address": "长胜街道长胜村三组12号"},
        {"name": "某养殖合作社", "side": "respondent", "kind": "organisation"},
    ],
}


def act(client: APIClient, pk: int, action: str, data: dict[str, Any] | None = None,
        **headers: str) -> Any:
    return client.post(f"{URL}{pk}/{action}/", data or {}, format="json", headers=headers or None)


def ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.json()
    return response.json()


def test_the_whole_loop_over_the_api(cast: dict[str, User]) -> None:
    grid = client_for(cast["grid"])
    data = ok(grid.post(URL, {**BODY, "grid": grid_of().code}, format="json"), 201)
    pk = data["id"]
    assert data["state"] == "registered" and data["level"] == "village" and data["source"] == "grid"
    party = data["parties"][0]
    assert party["id_number"] == "6402**********1234" and party["phone"] == "138****5678"
    assert "12号" not in party["address"]
    assert data["actions"] == []  # the grid member reports, the mediators mediate
    village = client_for(cun(cast))
    assert ok(village.get(f"{URL}{pk}/"))["actions"] == ["accept", "decline", "assess-risk"]
    ok(act(village, pk, "accept"))
    ok(act(village, pk, "session", {"place": "村调委会", "mediators": "村调解员", "notes": "各执一词"}))
    ok(act(village, pk, "fail", {"reason": "分歧大"}))
    data = ok(act(village, pk, "escalate", {"reason": "需乡镇协调"}))
    assert data["level"] == "township" and data["state"] == "accepted"
    township = client_for(cast["mediator"])
    ok(act(township, pk, "session", {"place": "司法所", "mediators": "陈秀兰", "notes": "同意划界"}))
    data = ok(act(township, pk, "resolve", {"terms": "以界桩为准，各自放牧"}))
    assert data["agreement"]["level"] == "township" and data["resolved_on_time"] is True
    ok(act(township, pk, "follow-up", {"notes": "已立界桩", "performance": "fulfilled"}))
    data = ok(act(township, pk, "close"))
    assert data["state"] == "closed"
    assert [e["action"] for e in data["timeline"]] == [
        "register", "accept", "session", "fail", "escalate", "session", "resolve", "follow_up",
        "close"]


def test_errors_have_the_one_format_and_stable_codes(cast: dict[str, User]) -> None:
    grid = client_for(cast["grid"])
    bad = grid.post(URL, {**BODY, "grid": grid_of().code, "summary": ""}, format="json")
    assert bad.status_code == 400 and bad.json()["code"] == "required"
    assert set(bad.json()) == {"code", "message", "fields"}
    pk = ok(grid.post(URL, {**BODY, "grid": grid_of().code}, format="json"), 201)["id"]
    village = client_for(cun(cast))
    illegal = act(village, pk, "resolve", {"terms": "x"})
    assert illegal.status_code == 409 and illegal.json()["code"] == "illegal_transition"
    stale = act(village, pk, "accept", {}, **{"If-Match": '"7"'})
    assert stale.status_code == 409 and stale.json()["code"] == "stale_version"
    assert act(grid, pk, "accept").json()["code"] == "action_not_permitted"
    hidden = client_for(cast["dept"]).get(f"{URL}{pk}/")
    assert hidden.status_code == 404 and hidden.json()["code"] == "dispute_not_found"
    assert client_for(cast["leader"]).get(URL + "?state=nope").json()["code"] == "invalid_state"
    assert Dispute.objects.get(pk=pk).state == "registered"


def test_lists_filters_and_the_watch_list(cast: dict[str, User]) -> None:
    leader = client_for(cast["leader"])
    watch = ok(leader.get(URL + "?watch=true&page_size=500"))
    assert watch["count"] > 0
    assert all(r["risk"] in ("high", "major") and r["on_watch"] for r in watch["results"])
    township = ok(leader.get(URL + "?level=township&type=neighbour"))
    assert all(r["level"] == "township" and r["dispute_type"] == "neighbour"
               for r in township["results"])
    assert ok(client_for(cast["dept"]).get(URL))["count"] == 0


def test_kpis_and_levels_over_the_api_match_the_selectors(cast: dict[str, User]) -> None:
    street = client_for(cast["street"])
    [total] = ok(street.get(URL + "kpis/"))
    [row] = dispute_kpis(query(cast["street"]))
    assert (total["screened"], total["accepted"], total["resolved"]) == (
        row.screened, row.accepted, row.resolved)
    assert total["resolution_rate"] == row.resolution_rate
    by_level = ok(street.get(URL + "kpis/?by=level"))
    assert sum(r["screened"] for r in by_level) == row.screened
    levels = ok(street.get(URL + "levels/"))
    assert [(r["level"], r["accepted"], r["resolved"], r["escalated"]) for r in levels] == [
        (r.level, r.accepted, r.resolved, r.escalated) for r in level_stats(query(cast["street"]))]
    assert street.get(URL + "kpis/?by=weather").json()["code"] == "invalid_by"
    assert street.get(URL + "kpis/?since=yesterday").json()["code"] == "invalid_date"
    # the cuts: a level, a type, a mediator, an area inside the scope; outside answers 404
    village = ok(street.get(URL + "kpis/?level=village&type=neighbour"))[0]
    [expected] = dispute_kpis(query(cast["street"], level="village", dispute_type="neighbour"))
    assert (village["screened"], village["resolved"]) == (expected.screened, expected.resolved)
    assert 0 < village["screened"] < row.screened
    mine = ok(street.get(URL + f"kpis/?mediator={cast['mediator'].pk}&area=640202001"))[0]
    assert mine["screened"] == dispute_kpis(query(cast["street"], mediator=cast["mediator"].pk))[0].screened
    for bad, code in (("level=moon", "invalid_level"), ("type=x", "invalid_type"),
                      ("mediator=abc", "invalid_mediator"), ("area=12x", "invalid_area"),
                      ("since=2026-05-01&until=2026-04-01", "period_reversed")):
        assert street.get(URL + f"kpis/?{bad}").json()["code"] == code, bad
    assert street.get(URL + "kpis/?area=640202002").status_code == 404  # a sibling township


def test_screening_reports_and_missing_grids(cast: dict[str, User]) -> None:
    code = grid_of().code
    street = client_for(cast["street"])
    missing = ok(street.get("/api/v1/screening-reports/missing/?page_size=500"))
    assert code in [g["code"] for g in missing["results"]]
    grid = client_for(cast["grid"])
    report = ok(grid.post("/api/v1/screening-reports/", {"grid": code, "zero_report": True},
                          format="json"), 201)
    assert report["zero_report"] and report["period"] == current_period().isoformat()
    again = grid.post("/api/v1/screening-reports/", {"grid": code, "zero_report": True}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "screening_exists"
    missing = ok(street.get("/api/v1/screening-reports/missing/?page_size=500"))
    assert code not in [g["code"] for g in missing["results"]]
    other = grid.post("/api/v1/screening-reports/", {"grid": grid_of("640202002").code,
                                                     "zero_report": True}, format="json")
    assert other.status_code == 403
    last_month = (current_period() - dt.timedelta(days=1)).isoformat()
    found = grid.post("/api/v1/screening-reports/", {"grid": code, "period": last_month},
                      format="json")  # something found: say what
    assert found.status_code == 400 and found.json()["fields"] == {"notes": ["必填"]}


def test_a_dispute_case_converts_over_the_api(cast: dict[str, User]) -> None:
    from tests.mediation.test_risk_and_links import _dispute_case

    case_id = _dispute_case(cast)
    street = client_for(cast["street"])
    data = ok(street.post(URL, {"case": case_id, "parties": BODY["parties"]}, format="json"), 201)
    assert data["case"] == case_id and data["source"] == "case" and data["dispute_type"] == "labour"
    again = street.post(URL, {"case": case_id, "parties": BODY["parties"]}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "dispute_exists_for_case"
