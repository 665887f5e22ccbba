"""The dispute KPIs in the command centre's registry read the dispute rollups: for random
command-centre queries (period kinds, areas at every level) each equals a brute-force count
over the timelines, and its drill-down page lists exactly that many disputes."""

from __future__ import annotations

import datetime as dt
import random
import re
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from civicgrid.accounts.models import User
from civicgrid.stats import kpis as registry
from civicgrid.stats.periods import Period
from civicgrid.stats.selectors import KpiQuery, kpi_query
from tests.accounts.conftest import login_client
from tests.mediation import brute

pytestmark = pytest.mark.django_db

# code → (numerators, denominator) in the brute-force measures
DEFINITIONS = {
    "dispute_screened": (("screened",), None),
    "dispute_accepted": (("accepted",), None),
    "dispute_resolved": (("resolved",), None),
    "dispute_escalated": (("escalated",), None),
    "dispute_resolution_rate": (("resolved",), "accepted"),
    "dispute_on_time_rate": (("resolved_on_time",), "resolved"),
    "dispute_village_rate": (("resolved_village",), "resolved"),
    "dispute_township_rate": (("resolved_village", "resolved_township"), "resolved"),
}


def test_the_registry_holds_the_dispute_kpis() -> None:
    codes = {k.code for k in registry.enabled_kpis(group="disputes")}
    assert codes == set(DEFINITIONS) | {"dispute_high_risk_open"}


def _listed(client: Client, url: str) -> int:
    body = client.get(url).content.decode()
    found = re.search(r'data-testid="count">共 (\d+) 件<', body)
    assert found, url
    return int(found.group(1))


def test_random_command_centre_queries_equal_brute_force_and_the_list(cast: dict[str, User]) -> None:
    rows = brute.lives()
    rng = random.Random(5)
    today = timezone.localdate()
    areas = sorted({r.area[:n] for r in rows for n in (6, 9, 12, 15) if len(r.area) >= n})
    clients = {name: login_client(cast[name]) for name in ("leader", "street")}
    mediators = sorted({r.mediator for r in rows if r.mediator})[:6]
    counted = 0
    for i in range(32):
        who = ("leader", "street")[i % 2]
        user = cast[who]
        inside = [a for a in areas if who == "leader" or a.startswith("640202001")]
        params = {"period": rng.choice(["day", "week", "month", "quarter", "year"]),
                  "date": (today - dt.timedelta(days=rng.randint(0, 700))).isoformat()}
        if rng.random() < 0.6:
            params["area"] = rng.choice(inside)
        cuts: dict[str, Any] = {"level": "", "dispute_type": "", "mediator": None}
        if i % 4 >= 2:  # half the queries cut the disputes by one of level, type, mediator
            name = rng.choice(list(cuts))
            cuts[name] = rng.choice({"level": ["village", "township", "county"],
                                     "dispute_type": ["neighbour", "land", "family"],
                                     "mediator": [0, *mediators]}[name])
        params.update({f"dispute_{k.replace('dispute_', '')}": str(v) for k, v in cuts.items()
                       if v not in ("", None)})
        q = kpi_query(user, params)
        prefixes = (params["area"],) if "area" in params else q.prefixes
        want = brute.count(rows, prefixes=prefixes, start=q.period.start, end=q.period.end, **cuts)
        for code, (numerators, denominator) in DEFINITIONS.items():
            kpi = registry.get(code)
            assert kpi is not None and kpi.source is not None and kpi.drill_url is not None
            num, den = kpi.source(q)
            assert num == sum(want[n] for n in numerators), (code, params)
            assert den == (want[denominator] if denominator else None), (code, params)
            url = kpi.drill_url(q)
            if code in ("dispute_screened", "dispute_resolved", "dispute_village_rate") and want["screened"]:
                assert _listed(clients[who], url) == num, (code, url)
                counted += 1
            if code == "dispute_township_rate":
                assert url.startswith("/disputes/stats/?")
        assert q.prefixes == prefixes
    assert counted >= 6  # many queries found disputes to list


def test_the_open_high_risk_count_is_the_watch_list(cast: dict[str, User]) -> None:
    from civicgrid.mediation.selectors import watch_list

    today = timezone.localdate()
    q = KpiQuery(user=cast["leader"], period=Period(today, today), kind="custom")
    watched = registry.get("dispute_high_risk_open")
    assert watched is not None and watched.source is not None
    assert watched.source(q) == (watch_list(cast["leader"]).count(), None)
    assert watch_list(cast["leader"]).count() > 0  # the demo has an open 重大 dispute for the leader
    assert watched.drill_url is not None and watched.drill_url(q).endswith("?tab=watch")


def test_the_command_centre_page_shows_them(cast: dict[str, User]) -> None:
    leader = login_client(cast["leader"])
    body = leader.get("/stats/?period=year").content.decode()
    assert "小事不出村率" in body and "/disputes/stats/disputes/?measure=resolved_village" in body
    cut = leader.get("/stats/?period=year&dispute_level=township&dispute_type=land").content.decode()
    assert "level=township" in cut and "type=land" in cut  # the drill-down keeps the cuts
    bad = leader.get("/stats/?period=year&dispute_level=moon")
    assert bad.status_code == 400 and "调解层级无效" in bad.content.decode()
    assert leader.get("/stats/?period=year&dispute_mediator=x").status_code == 400


def test_the_kpi_table_reads_the_dispute_rollups_once_for_its_three_periods(cast: dict[str, User]) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from civicgrid.stats.figures import kpi_table

    q = kpi_query(cast["leader"], {"period": "year"})
    with CaptureQueriesContext(connection) as queries:
        rows = {r["code"]: r for r in kpi_table(q)}
    reads = [x for x in queries.captured_queries if "mediation_disputerollup" in x["sql"]]
    assert len(reads) == 1  # one statement for this period, the previous one, the same one last year
    assert reads[0]["sql"].count("FROM mediation_disputerollup") == 3
    previous = kpi_query(cast["leader"], {"period": "year", "date": f"{q.period.start.year - 1}-06-01"})
    assert registry.get("dispute_screened").source(previous)[0] == rows["dispute_screened"]["previous"]  # type: ignore[union-attr]
    again = kpi_query(cast["leader"], {"period": "year"})  # another request reads again
    assert registry.get("dispute_screened").source(again)[0] == rows["dispute_screened"]["numerator"]  # type: ignore[union-attr]


def test_a_department_centre_counts_no_disputes(cast: dict[str, User]) -> None:
    """A 局长 with the leader role at a department sees that department's cases in the centre;
    disputes are not assigned to departments, so every dispute KPI there is 0."""
    from civicgrid.accounts import services as account_services
    from civicgrid.accounts.models import OrgUnit

    org = OrgUnit.objects.filter(kind="department").order_by("pk").first()
    assert org is not None
    director = account_services.create_user(actor=None, username="director-disputes",
                                            password="Demo-2026!", display_name="局长", org_unit=org,
                                            must_change_password=False)
    account_services.grant_role(actor=None, user=director, role_code="leader", org_unit=org)
    q = kpi_query(director, {"period": "year"})
    assert q.departments
    leader_q = kpi_query(cast["leader"], {"period": "year"})
    for code in (*DEFINITIONS, "dispute_high_risk_open"):
        kpi = registry.get(code)
        assert kpi is not None and kpi.source is not None
        assert kpi.source(q)[0] == 0, code
    assert registry.get("dispute_screened").source(leader_q)[0] > 0  # type: ignore[union-attr]
