"""The dispute KPIs in the command centre's registry answer the same exact counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from civicgrid.accounts.models import User
from civicgrid.mediation.kpis import dispute_kpis
from civicgrid.stats import kpis as registry
from civicgrid.stats.periods import Period
from civicgrid.stats.selectors import KpiQuery

pytestmark = pytest.mark.django_db


def test_registered_dispute_kpis_equal_the_selector(cast: dict[str, User]) -> None:
    codes = {k.code for k in registry.enabled_kpis(group="disputes")}
    assert codes == {"dispute_resolution_rate", "dispute_on_time_rate", "dispute_screened",
                     "dispute_accepted", "dispute_resolved", "dispute_high_risk_open"}
    today = timezone.localdate()
    start = today - dt.timedelta(days=400)
    q = KpiQuery(user=cast["street"], period=Period(start, today), kind="custom")
    [row] = dispute_kpis(cast["street"], since=timezone.make_aware(dt.datetime.combine(start, dt.time())),
                         until=timezone.make_aware(dt.datetime.combine(today + dt.timedelta(days=1),
                                                                       dt.time())))
    rate = registry.get("dispute_resolution_rate")
    assert rate is not None and rate.source is not None
    num, den = rate.source(q)
    assert (num, den) == (row.resolved, row.accepted) and row.accepted > 0
    assert rate.value(num, den) == row.resolution_rate
    on_time = registry.get("dispute_on_time_rate")
    assert on_time is not None and on_time.source is not None
    assert on_time.source(q) == (row.resolved_on_time, row.resolved)
    assert rate.drill_url is not None and rate.drill_url(q).startswith("/disputes/stats/")
    for code, expected in (("dispute_screened", row.screened), ("dispute_accepted", row.accepted),
                           ("dispute_resolved", row.resolved)):
        count = registry.get(code)
        assert count is not None and count.source is not None
        assert count.source(q) == (expected, None)


def test_the_open_high_risk_count_is_the_watch_list(cast: dict[str, User]) -> None:
    from civicgrid.mediation.selectors import watch_list

    today = timezone.localdate()
    q = KpiQuery(user=cast["leader"], period=Period(today, today), kind="custom")
    watched = registry.get("dispute_high_risk_open")
    assert watched is not None and watched.source is not None
    assert watched.source(q) == (watch_list(cast["leader"]).count(), None)
    assert watch_list(cast["leader"]).count() > 0  # the demo has an open 重大 dispute for the leader
    assert watched.drill_url is not None and watched.drill_url(q).endswith("?tab=watch")
