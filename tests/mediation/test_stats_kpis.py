"""The dispute KPIs in the command centre's registry read the dispute rollups: for random
command-centre queries (period kinds, areas at every level) each equals a brute-force count
over the timelines, and its drill-down page lists exactly that many disputes."""

from __future__ import annotations

import datetime as dt
import random
import re

import pytest
from django.test import Client
from django.utils import timezone

from civicgrid.accounts.models import User
from civicgrid.stats import kpis as registry
from civicgrid.stats.periods import Period
from civicgrid.stats.selectors import KpiQuery, kpi_query
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


def _page(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


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
    clients = {name: _page(cast[name]) for name in ("leader", "street")}
    counted = 0
    for i in range(24):
        who = ("leader", "street")[i % 2]
        user = cast[who]
        inside = [a for a in areas if who == "leader" or a.startswith("640202001")]
        params = {"period": rng.choice(["day", "week", "month", "quarter", "year"]),
                  "date": (today - dt.timedelta(days=rng.randint(0, 700))).isoformat()}
        if rng.random() < 0.6:
            params["area"] = rng.choice(inside)
        q = kpi_query(user, params)
        prefixes = (params["area"],) if "area" in params else q.prefixes
        want = brute.count(rows, prefixes=prefixes, start=q.period.start, end=q.period.end)
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
    assert counted >= 9  # most queries found disputes to list


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
    body = _page(cast["leader"]).get("/stats/?period=year").content.decode()
    assert "小事不出村率" in body and "/disputes/stats/disputes/?measure=resolved_village" in body
