"""The dispute rollups: KPI from the rollups = brute force over the timelines = a plain SQL
count = the drill-down list's length, for random filters on the demo; exact after a mixed sequence of actions
(``check`` finds 0 differences, a rebuild gives the same rows); a failed action leaves them
as they were. SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection
from django.utils import timezone

from civicgrid.accounts.models import User
from civicgrid.accounts.scope import scope_for
from civicgrid.core.errors import Conflict, ValidationFailed
from civicgrid.mediation import kpis, rollup_check, rollups, services
from civicgrid.mediation.drilldown import disputes_behind
from civicgrid.mediation.models import (
    Dispute,
    DisputeFact,
    DisputeRollup,
    Performance,
    State,
)
from civicgrid.mediation.rollup_models import MEASURES
from civicgrid.mediation.rollups import KEY_COLUMNS
from tests.mediation import brute
from tests.mediation.flows import county_mediator, cun, mediator_at, reported, to_state

pytestmark = pytest.mark.django_db

USERS = ("leader", "street", "mediator", "grid")


def _scope(user: User) -> tuple[str, ...]:
    scope = scope_for(user, "mediation.view")
    return ("",) if scope.everywhere else tuple(scope.area_prefixes | scope.grid_codes)


def _area_of(rng: random.Random, code: str, scope: tuple[str, ...]) -> str:
    """The code cut to a random area level that is still inside the scope."""
    cuts = [n for n in (6, 9, 12, 15) if n <= len(code) and any(code[:n].startswith(p) for p in scope)]
    return code[:rng.choice(cuts)] if cuts else ""


def _period(rng: random.Random, day: dt.date) -> tuple[dt.date | None, dt.date | None]:
    """since (inclusive), until (exclusive) around ``day``: open, a year, a month, a range of
    loose days and months, or one side open."""
    kind = rng.choice(["all", "since", "until", "year", "month", "days", "days"])
    if kind == "all":
        return None, None
    if kind == "since":
        return day - dt.timedelta(days=rng.randint(0, 400)), None
    if kind == "until":
        return None, day + dt.timedelta(days=rng.randint(1, 400))
    if kind == "year":
        return dt.date(day.year, 1, 1), dt.date(day.year + 1, 1, 1)
    if kind == "month":
        first = day.replace(day=1)
        return first, (first + dt.timedelta(days=32)).replace(day=1)
    return day - dt.timedelta(days=rng.randint(0, 200)), day + dt.timedelta(days=rng.randint(1, 300))


def _filters(rng: random.Random, user: User, rows: list[brute.Life]) -> dict[str, Any]:
    """Random filters around a random dispute in the scope (each filter kept or not), or
    around a random day (often nothing there)."""
    scope = _scope(user)
    anchor = rng.choice([r for r in rows if any(r.area.startswith(p) for p in scope)])
    if rng.random() < 0.2:  # anywhere in the two years, any values
        anchor = rng.choice(rows)
        anchor = brute.Life(anchor.area, timezone.localdate() - dt.timedelta(days=rng.randint(0, 730)),
                            anchor.level, anchor.dispute_type, anchor.mediator, anchor.measures)
    since, until = _period(rng, anchor.day)
    keep = {name: rng.random() < 0.4 for name in ("area", "level", "dispute_type", "mediator")}
    return {"since": since, "until": until,
            "area": _area_of(rng, anchor.area, scope) if keep["area"] else "",
            "level": anchor.level if keep["level"] else "",
            "dispute_type": anchor.dispute_type if keep["dispute_type"] else "",
            "mediator": anchor.mediator if keep["mediator"] else None}


def _expected(user: User, rows: list[brute.Life], f: dict[str, Any]) -> dict[str, int]:
    prefixes = (f["area"],) if f["area"] else _scope(user)
    counted = brute.count(rows, prefixes=prefixes, start=f["since"],
                          end=f["until"] - dt.timedelta(days=1) if f["until"] else None,
                          level=f["level"], dispute_type=f["dispute_type"], mediator=f["mediator"])
    return {m: counted[m] for m in MEASURES}


def test_random_filters_equal_brute_force_and_the_list(cast: dict[str, User]) -> None:
    rows = brute.lives()
    rng = random.Random(6)
    nonempty: list[str] = []
    for i in range(48):
        user = cast[USERS[i % len(USERS)]]
        f = _filters(rng, user, rows)
        dq = kpis.query(user, **f)
        got, want = kpis.sums(dq), _expected(user, rows, f)
        assert got == want, (user.username, f)
        prefixes = (f["area"],) if f["area"] else _scope(user)
        end = f["until"] - dt.timedelta(days=1) if f["until"] else None
        for m in MEASURES:
            assert disputes_behind(user, dq, m).count() == want[m], (user.username, f, m)
            assert brute.sql_count(m, prefixes=prefixes, start=f["since"], end=end,
                                   level=f["level"], dispute_type=f["dispute_type"],
                                   mediator=f["mediator"]) == want[m], (user.username, f, m)
        nonempty += [m for m in MEASURES if want[m]]
        [row] = kpis.dispute_kpis(dq)
        if row.accepted:
            assert row.resolution_rate == want["resolved"] / want["accepted"]
        for by in kpis.CUTS:  # every grouping adds up to the total
            grouped = kpis.dispute_kpis(dq, by=by)
            assert sum(r.screened for r in grouped) == want["screened"], (f, by)
            assert sum(r.resolved for r in grouped) == want["resolved"], (f, by)
    # the filters are not all empty: most combinations count something, every measure is hit
    assert nonempty.count("screened") >= 24
    assert set(nonempty) == set(MEASURES) - {"escalated_county"}


def _snapshot() -> dict[tuple[Any, ...], tuple[int, ...]]:
    return {tuple(r[c] for c in KEY_COLUMNS): tuple(r[m] for m in MEASURES)
            for r in DisputeRollup.objects.values(*KEY_COLUMNS, *MEASURES)
            if any(r[m] for m in MEASURES)}


def _mixed_actions(cast: dict[str, User]) -> None:
    """Every action, escalation to the county, a change of mediator, refused actions."""
    for state in (State.REGISTERED, State.DECLINED, State.MEDIATING, State.REFERRED, State.CLOSED):
        to_state(cast, state)
    # village → township → county, settled at the county
    d = reported(cast, risk="high")
    village, township, county = cun(cast), mediator_at(cast, "township"), county_mediator()
    services.accept(actor=village, dispute_id=d.pk)
    services.escalate(actor=village, dispute_id=d.pk, reason="村级无法调处")
    services.record_session(actor=township, dispute_id=d.pk, place="街道调委会", mediators="街道",
                            notes="第一次调解")
    services.fail(actor=township, dispute_id=d.pk, reason="分歧大")
    services.escalate(actor=township, dispute_id=d.pk, reason="上交区级")
    services.record_session(actor=county, dispute_id=d.pk, place="区调委会", mediators="区",
                            notes="区级调解")
    services.resolve(actor=county, dispute_id=d.pk, terms="双方和解")
    services.assess_risk(actor=county, dispute_id=d.pk, risk="low", reasons="已和解")
    services.follow_up(actor=county, dispute_id=d.pk, notes="履行中", performance=Performance.PENDING)
    with pytest.raises(Conflict):  # refused inside the transaction: nothing of it stays
        services.close(actor=county, dispute_id=d.pk)
    with pytest.raises(ValidationFailed):
        services.escalate(actor=county, dispute_id=d.pk, reason="")
    # registered directly at the township, escalated once, not settled
    e = reported(cast, by="mediator", level="township")
    services.accept(actor=township, dispute_id=e.pk)
    services.escalate(actor=township, dispute_id=e.pk, reason="涉及多个街道")


def test_mixed_actions_keep_the_rollups_exact(cast: dict[str, User]) -> None:
    before = kpis.sums(kpis.query(cast["leader"]))
    _mixed_actions(cast)
    report = rollup_check.check()
    assert report.differences == [] and report.rows > 0
    after = kpis.sums(kpis.query(cast["leader"]))
    assert after["screened"] - before["screened"] == 7
    assert after["resolved_county"] - before["resolved_county"] == 1
    assert after["escalated"] - before["escalated"] == 2
    assert after["escalated_township"] - before["escalated_township"] == 2
    rows = brute.lives()
    assert after == _expected(cast["leader"], rows, {"since": None, "until": None, "area": "",
                                                      "level": "", "dispute_type": "", "mediator": None})
    incremental = _snapshot()
    rollups.rebuild()
    assert _snapshot() == incremental


def test_an_escalated_dispute_counts_where_it_was_settled(cast: dict[str, User]) -> None:
    d = to_state(cast, State.ACCEPTED)
    today = timezone.localdate()
    dq = kpis.query(cast["leader"], since=today, until=today + dt.timedelta(days=1), area=d.area_code)
    village, township = cun(cast), mediator_at(cast, "township")
    services.escalate(actor=village, dispute_id=d.pk, reason="村级无法调处")
    services.record_session(actor=township, dispute_id=d.pk, place="街道", mediators="街道", notes="调解")
    services.resolve(actor=township, dispute_id=d.pk, terms="和解")
    levels = {r.level: r for r in kpis.level_stats(dq)}
    assert (levels["village"].accepted, levels["village"].resolved, levels["village"].escalated) == (1, 0, 1)
    assert (levels["township"].accepted, levels["township"].resolved, levels["township"].escalated) == (1, 1, 0)
    # cut by level and mediator: at the township now, the township mediator's
    [row] = kpis.dispute_kpis(dq, by="level")
    assert (row.key, row.resolved) == ("township", 1)
    [row] = kpis.dispute_kpis(dq, by="mediator")
    assert row.key == str(township.pk)
    assert kpis.sums(kpis.query(cast["leader"], since=today, area=d.area_code,
                                mediator=village.pk))["screened"] == 0


def _refusing_timeline(execute: Callable[..., Any], sql: str, params: Any, many: bool,
                       context: Any) -> Any:
    if sql.lstrip().upper().startswith("INSERT") and '"mediation_disputeevent"' in sql:
        raise DatabaseError("injected")
    return execute(sql, params, many, context)


def test_a_failed_action_leaves_the_rollups_as_they_were(cast: dict[str, User]) -> None:
    d = to_state(cast, State.MEDIATING)
    before, fact = _snapshot(), DisputeFact.objects.get(pk=d.pk)
    with connection.execute_wrapper(_refusing_timeline), pytest.raises(DatabaseError):
        services.resolve(actor=cun(cast), dispute_id=d.pk, terms="和解")
    assert _snapshot() == before
    assert DisputeFact.objects.get(pk=d.pk).resolved == fact.resolved is False
    assert Dispute.objects.get(pk=d.pk).state == State.MEDIATING


def test_the_check_command_finds_a_difference_and_rebuild_mends_it(cast: dict[str, User]) -> None:
    out = StringIO()
    call_command("dispute_rollups", "check", stdout=out)
    assert "核对一致" in out.getvalue()
    row = DisputeRollup.objects.filter(grain="m", area_level=9).order_by("pk").first()
    assert row is not None
    DisputeRollup.objects.filter(pk=row.pk).update(resolved=row.resolved + 1)
    with pytest.raises(CommandError, match="不一致：1 处"):
        call_command("dispute_rollups", "check", stdout=StringIO())
    since = row.period.isoformat()
    with pytest.raises(CommandError):
        call_command("dispute_rollups", "check", "--since", since, stdout=StringIO())
    out = StringIO()
    call_command("dispute_rollups", "rebuild", stdout=out)
    assert "重建完成" in out.getvalue()
    call_command("dispute_rollups", "check", "--since", since, stdout=StringIO())
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("dispute_rollups", "check", "--since", "yesterday", stdout=StringIO())


def test_an_area_outside_the_scope_is_not_found(cast: dict[str, User]) -> None:
    from civicgrid.core.errors import NotFound

    with pytest.raises(NotFound):
        kpis.query(cast["street"], area="640202002")  # a sibling township
    assert kpis.query(cast["street"], area="640202").prefixes == ("640202001",)
    assert kpis.sums(kpis.query(cast["dept"]))["screened"] == 0
