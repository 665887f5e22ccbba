"""A department's own command centre: a user who holds ``dashboard.view`` only at a
department (the leader role granted at 城管局) sees the KPIs of the cases that department
leads — the same figures a district leader gets with that department's filter, with lists
of the same length — and another department answers 404, like a missing one."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from civicgrid.accounts import services as account_services
from civicgrid.accounts.models import User
from civicgrid.demo.build import DEMO_PASSWORD
from civicgrid.demo.cases import build_cases
from civicgrid.stats import rollups
from tests.accounts.conftest import login_client
from tests.cases.flows import dept

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(dt.datetime(2026, 6, 15, 10, 0))
YEAR = {"period": "year", "date": "2026-03-01"}


def _director(org_code: str) -> User:
    org = dept(org_code)
    user = account_services.create_user(actor=None, username=f"director-{org_code}", password=DEMO_PASSWORD,
                                        display_name=f"{org.name}局长", org_unit=org,
                                        must_change_password=False)
    account_services.grant_role(actor=None, user=user, role_code="leader", org_unit=org)
    return user


def _kpis(response) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """The case KPIs (the dispute KPIs other apps register follow their own scope)."""
    assert response.status_code == 200, response.content[:300]
    return {k["code"]: k["value"] for k in response.json()["kpis"] if not k["code"].startswith("dispute")}


def test_a_department_sees_its_own_kpis_and_lists(cast) -> None:  # type: ignore[no-untyped-def]
    build_cases(300, seed=3, now=NOW)
    rollups.rebuild()
    chengguan = dept("chengguan")
    director = login_client(_director("chengguan"))
    own = _kpis(director.get("/api/v1/stats/summary/", YEAR))
    as_leader = _kpis(login_client(cast["leader"]).get("/api/v1/stats/summary/",
                                                  {**YEAR, "department": chengguan.pk}))
    everyone = _kpis(login_client(cast["leader"]).get("/api/v1/stats/summary/", YEAR))
    assert own == as_leader
    assert 0 < own["received"] < everyone["received"]
    listed = director.get("/api/v1/stats/cases/", {**YEAR, "measure": "closed"}).json()
    assert listed["count"] == own["closed"]
    page = director.get("/stats/", YEAR)
    assert page.status_code == 200
    assert chengguan.name in page.content.decode()
    other = dept("gongan")
    assert director.get("/api/v1/stats/summary/", {**YEAR, "department": other.pk}).json()["code"] == \
        "department_not_found"
    assert director.get("/stats/", {**YEAR, "department": other.pk}).status_code == 404
    # a department handler without dashboard.view still gets 403
    assert login_client(cast["dept"]).get("/stats/").status_code == 403
