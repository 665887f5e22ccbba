"""化解率 and the per-level rates equal brute-force counts on the demo data (SQLite and PG).

The test city's disputes come from the demo builder (``civicgrid.demo.dispute_history``);
the brute force walks every visible dispute and its timeline in Python.
"""

from __future__ import annotations

from collections import Counter

import pytest

from civicgrid.accounts.models import User
from civicgrid.mediation.kpis import dispute_kpis, level_stats, query
from civicgrid.mediation.models import LEVEL_ORDER, Dispute, DisputeEvent
from civicgrid.mediation.selectors import disputes_visible_to

pytestmark = pytest.mark.django_db


def _levels_of(d: Dispute, events: list[DisputeEvent]) -> list[str]:
    """The levels a dispute was at, read from its timeline (not from the stored fields)."""
    levels = [events[0].level]
    for e in events:
        if e.action == "escalate":
            levels.append(e.data["to_level"])
    assert levels[-1] == d.level
    return levels


def _brute(user: User) -> tuple[Counter[str], dict[str, Counter[str]]]:
    timeline: dict[int, list[DisputeEvent]] = {}
    for e in DisputeEvent.objects.order_by("at", "id"):
        timeline.setdefault(e.dispute_id, []).append(e)
    total: Counter[str] = Counter()
    per_level: dict[str, Counter[str]] = {lv: Counter() for lv in LEVEL_ORDER}
    for d in disputes_visible_to(user):
        events = timeline[d.pk]
        actions = [e.action for e in events]
        accepted, resolved = "accept" in actions, "resolve" in actions
        total["screened"] += 1
        total["accepted"] += accepted
        total["resolved"] += resolved
        resolve = next((e for e in events if e.action == "resolve"), None)
        total["on_time"] += bool(resolve and resolve.data["on_time"])
        if not accepted:
            continue
        levels = _levels_of(d, events)
        for lv in levels:
            per_level[lv]["accepted"] += 1
        for lv in levels[:-1]:
            per_level[lv]["escalated"] += 1
        if resolved:
            per_level[resolve.level]["resolved"] += 1  # type: ignore[union-attr]
    return total, per_level


@pytest.mark.parametrize("who", ["leader", "street", "mediator", "grid"])
def test_rates_equal_brute_force_counts_on_the_demo(cast: dict[str, User], who: str) -> None:
    user = cast[who]
    total, per_level = _brute(user)
    assert total["screened"] > 0
    [row] = dispute_kpis(query(user))
    assert (row.screened, row.accepted, row.resolved, row.resolved_on_time) == (
        total["screened"], total["accepted"], total["resolved"], total["on_time"])
    if total["accepted"]:
        assert row.resolution_rate == total["resolved"] / total["accepted"]
    for stats in level_stats(query(user)):
        expected = per_level[stats.level]
        assert (stats.accepted, stats.resolved, stats.escalated) == (
            expected["accepted"], expected["resolved"], expected["escalated"]), stats.level
        if expected["accepted"]:
            assert stats.resolution_rate == expected["resolved"] / expected["accepted"]


@pytest.mark.parametrize("by", ["level", "type", "township", "village", "mediator"])
def test_every_cut_adds_up_to_the_total(cast: dict[str, User], by: str) -> None:
    [total] = dispute_kpis(query(cast["leader"]))
    rows = dispute_kpis(query(cast["leader"]), by=by)
    assert len({r.key for r in rows}) == len(rows)
    for name in ("screened", "accepted", "resolved", "resolved_on_time"):
        assert sum(getattr(r, name) for r in rows) == getattr(total, name), name
    assert all(r.label for r in rows)


def test_demo_proportions_are_realistic(cast: dict[str, User]) -> None:
    """大武口 1,896 / 1,813 = 95.62 %; 金昌 98 %: the demo lands in that range."""
    [row] = dispute_kpis(query(cast["leader"]))
    assert row.screened >= 300
    assert 0.9 <= (row.resolution_rate or 0) <= 0.99
    village = level_stats(query(cast["leader"]))[0]
    assert village.accepted > 0 and (village.resolution_rate or 0) > 0.8  # 小事不出村


def test_the_scope_cuts_the_counts(cast: dict[str, User]) -> None:
    [district] = dispute_kpis(query(cast["leader"]))
    [township] = dispute_kpis(query(cast["street"]))
    [grid] = dispute_kpis(query(cast["grid"]))
    assert district.screened > township.screened > grid.screened > 0
    assert dispute_kpis(query(cast["dept"]))[0].screened == 0
