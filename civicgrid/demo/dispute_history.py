"""Two years of demo disputes and screening reports, written in bulk.

Each dispute gets a planned life (type, risk, place, level, fate, step times, all from the
seed). Its steps are replayed on the in-memory row the way the services set the fields —
states and deadlines through the workflow's own ``deadlines.enter_stage`` — and cut at "now",
so recent disputes are still open. A few recent ones are steered so that every demo login
finds work. Grids report their monthly screening (零报告 when nothing was found); some
recent reports are missing, for the township to see.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils import timezone

from civicgrid.accounts.models import User
from civicgrid.areas.models import Grid
from civicgrid.demo import disputes as plan
from civicgrid.mediation import alerts, deadlines, rollups
from civicgrid.mediation.models import (
    LEVEL_ORDER,
    Agreement,
    Dispute,
    DisputeEvent,
    FollowUp,
    Party,
    ScreeningReport,
    Session,
    State,
)
from civicgrid.mediation.privacy import sealed_party
from civicgrid.mediation.services import CODE_ALPHABET, period_of
from civicgrid.mediation.transitions import TRANSITIONS

DAY = dt.timedelta(days=1)


def _pick(rng: random.Random, weighted: list[tuple[str, int]]) -> str:
    return rng.choices([k for k, _ in weighted], [w for _, w in weighted])[0]


def _name(rng: random.Random) -> str:
    i = rng.randrange(0, len(plan.GIVEN) - 1, 2)
    return rng.choice(plan.SURNAMES) + plan.GIVEN[i:i + 2]


@dataclass
class Life:
    """One dispute being replayed; steps after ``now`` are not written (the cut)."""

    d: Dispute
    now: dt.datetime
    mediators: dict[str, User]
    events: list[DisputeEvent] = field(default_factory=list)
    sessions: list[Session] = field(default_factory=list)
    followups: list[FollowUp] = field(default_factory=list)
    agreement: Agreement | None = None
    cut: bool = False

    def who(self) -> User | None:
        code = self.d.area_code
        key = {"village": code[:12], "township": code[:9], "county": code[:6]}[self.d.level]
        return self.mediators.get(key) or self.mediators.get(code[:9])

    def do(self, action: str, at: dt.datetime, note: str = "", **data: Any) -> bool:
        if self.cut or at > self.now:
            self.cut = True
            return False
        d, t = self.d, TRANSITIONS[action]
        assert d.state in t.sources, (action, d.state)
        actor, before = self.who(), d.state
        if action == "accept":
            d.accepted_at, d.mediator = at, actor
            d.mediation_due_at = deadlines.due("mediate", at)
        elif action == "decline":
            d.closed_at = at
        elif action == "session":
            self.sessions.append(Session(dispute=d, level=d.level, held_at=at, place=data.pop("place"),
                                         mediators=actor.display_name if actor else "调解员",
                                         attendees="双方当事人", notes=note, recorded_by=actor))
            d.mediator = d.mediator or actor
        elif action == "resolve":
            d.resolved_at = at
            d.resolved_on_time = d.mediation_due_at is None or at <= d.mediation_due_at
            self.agreement = Agreement(dispute=d, number=f"调协〔{timezone.localtime(at).year}〕{d.code}",
                                       level=d.level, terms=note, signed_at=at,
                                       performance_method="协议签订后三十日内履行")
            data = {"agreement": self.agreement.number, "on_time": d.resolved_on_time}
        elif action == "escalate":
            i = LEVEL_ORDER.index(d.level)
            data = {"from_level": d.level, "to_level": LEVEL_ORDER[i + 1].value}
            d.level, d.mediator = LEVEL_ORDER[i + 1], None
            d.escalation_count += 1
            d.mediation_due_at = deadlines.due("mediate", at)
        elif action == "refer":
            d.referral = data["referral"]
        elif action == "follow_up":
            if self.agreement is not None:
                self.agreement.performance = data["performance"]
            self.followups.append(FollowUp(dispute=d, visited_at=at, notes=note, visited_by=actor,
                                           performance=data.get("performance", "")))
            d.next_followup_at = d.due_at = deadlines.due("follow_up", at)
        elif action == "close":
            d.closed_at = at
        if t.target is not None and (t.target != before or action == "escalate"):
            deadlines.enter_stage(d, t.target, at)
        d.version += 1
        self.events.append(DisputeEvent(dispute=d, at=at, actor=actor,
                                        actor_name=actor.display_name if actor else "调解员",
                                        action=action, from_state=before, to_state=d.state,
                                        level=d.level, note=note, data=data))
        return True


def _live(life: Life, rng: random.Random, t: dt.datetime, *, fate: str | None,
          stop_at: tuple[str, str] | None) -> None:
    """Accept, mediate level by level, then follow up and close (or stop where steered)."""
    pace = 1.0 if stop_at is None else 0.05  # steered ones reach their stop within days
    def go(action: str, hours: tuple[float, float], note: str = "", **data: Any) -> bool:
        nonlocal t
        if stop_at == (life.d.state, life.d.level):
            life.cut = True
        t = t + dt.timedelta(hours=rng.uniform(*hours) * pace)
        return life.do(action, t, note, **data)

    if fate == "decline":
        go("decline", (4, 60), "已由法院立案受理，不属于人民调解范围")
        return
    if not go("accept", (2, 40)):
        return
    while True:
        late = rng.random() < 0.08
        for n in range(rng.choice([1, 1, 2, 3])):
            go("session", (20, 140) if n else (8, 100), f"第{n + 1}次调解：听取双方陈述，释法说理",
               place={"village": "村调委会调解室", "township": "乡镇（街道）司法所",
                      "county": "区人民调解中心"}[life.d.level])
        settled = rng.random() < plan.SETTLED[life.d.level] if fate is None else fate == "resolve"
        wait = (40 * 24, 60 * 24) if late else (4, 20 * 24)
        if settled:
            if not go("resolve", wait, "双方自愿达成如下协议：" + life.d.summary[:20] + "一事和解"):
                return
            break
        if not go("fail", wait, "双方分歧较大，未能达成协议"):
            return
        if life.d.level != "county" and (fate == "escalate" or rng.random() < 0.85):
            if not go("escalate", (8, 72), "需上级调解组织协调"):
                return
            fate = None if fate == "escalate" else fate
            continue
        if not go("refer", (24, 96), "", referral=rng.choice(
                ["litigation", "arbitration", "petition", "professional"])):
            return
        break
    performance = "fulfilled" if rng.random() < 0.85 else rng.choice(["partial", "pending"])
    data = {"performance": performance} if life.agreement else {}
    if not go("follow_up", (8 * 24, 20 * 24), "回访当事人，了解协议履行情况", **data):
        return
    if performance == "pending" and not go("follow_up", (10 * 24, 20 * 24), "再次回访：协议已履行",
                                           performance="fulfilled"):
        return
    go("close", (2, 96), "矛盾已化解，案结事了")


def _codes(rng: random.Random, count: int) -> list[str]:
    taken = set(Dispute.objects.values_list("code", flat=True))
    out: list[str] = []
    while len(out) < count:
        code = "JF" + "".join(rng.choice(CODE_ALPHABET) for _ in range(8))
        if code not in taken:
            taken.add(code)
            out.append(code)
    return out


def build_disputes(count: int, seed: int, now: dt.datetime | None = None) -> int:
    """Write ``count`` disputes (plus the steered ones) and the screening reports."""
    rng = random.Random(seed * 31 + 6)
    now = now or timezone.now()
    grids = list(Grid.objects.current().order_by("code"))
    if not grids:
        return 0
    mediators = plan.ensure_mediators()
    grid_user = User.objects.filter(username="grid").first()
    my_grid = next((g for g in grids if grid_user and grid_user.grants.filter(grid_code=g.code)
                    .exists()), grids[0])
    start = now - dt.timedelta(days=plan.HISTORY_DAYS)
    # steered: work for the demo logins (registered, township mediation, 重大 risk, follow-up)
    steered: list[tuple[tuple[str, str], str | None, str, str]] = [
        (("registered", "village"), None, "low", "village"),
        (("mediating", "township"), "escalate", "medium", "village"),
        (("mediating", "township"), None, "major", "township"),
        (("resolved", "village"), "resolve", "high", "village")]
    codes = _codes(rng, count + len(steered))
    lives: list[Life] = []
    for i in range(count + len(steered)):
        if i < count:
            created = start + dt.timedelta(seconds=rng.uniform(0, plan.HISTORY_DAYS * 86400))
            grid, risk, level = rng.choice(grids), _pick(rng, plan.RISKS), _pick(rng, plan.START_LEVELS)
            stop_at: tuple[str, str] | None = None
            fate = "decline" if rng.random() < 0.015 else None
        else:
            stop_at, fate, risk, level = steered[i - count]
            created, grid = now - dt.timedelta(days=9 - 2 * (i - count)), my_grid
        kind = _pick(rng, plan.TYPES)
        source = _pick(rng, plan.SOURCES) if stop_at is None else "grid"
        d = Dispute(code=codes[i], dispute_type=kind, summary=plan.SUMMARIES[kind],
                    amount=Decimal(rng.choice([0, 2000, 8000, 35000, 120000])) if kind in (
                        "labour", "debt", "traffic", "expropriation", "medical") else None,
                    people_count=rng.choice([2, 2, 2, 3, 4, 6, 12]), risk=risk,
                    risk_reasons="双方情绪激动，有激化为治安案件的可能" if risk in ("high", "major") else "",
                    source=source, grid=grid, area_code=grid.code, address=grid.name,
                    start_level=level, level=level, created_at=created, stage_started_at=created,
                    reporter=grid_user if source == "grid" and grid == my_grid else None)
        deadlines.enter_stage(d, State.REGISTERED, created)
        life = Life(d, now, mediators)
        life.events.append(DisputeEvent(dispute=d, at=created, actor=d.reporter,
                                        actor_name=d.reporter.display_name if d.reporter else "网格员",
                                        action="register", to_state=State.REGISTERED, level=level,
                                        data={"risk": risk, "source": source}))
        if stop_at != ("registered", "village"):
            _live(life, rng, created, fate=fate, stop_at=stop_at)
        lives.append(life)
    _screening(rng, grids, lives, now, grid_user, my_grid)
    Dispute.objects.bulk_create([x.d for x in lives], batch_size=1000)
    Party.objects.bulk_create([p for x in lives for p in _parties(rng, x.d)], batch_size=2000)
    DisputeEvent.objects.bulk_create([e for x in lives for e in x.events], batch_size=2000)
    Session.objects.bulk_create([s for x in lives for s in x.sessions], batch_size=2000)
    FollowUp.objects.bulk_create([f for x in lives for f in x.followups], batch_size=2000)
    Agreement.objects.bulk_create([x.agreement for x in lives if x.agreement], batch_size=2000)
    rollups.rebuild()  # written without the workflow: the dispute KPIs' rollups from scratch
    for x in lives:  # the recent high-risk ones are on the leader's and the centres' desks
        if x.d.on_watch and x.d.created_at > now - 30 * DAY:
            alerts.send_risk_alert(x.d.pk)
    return len(lives)


def _parties(rng: random.Random, d: Dispute) -> list[Party]:
    org = d.dispute_type in ("labour", "property", "medical", "pollution")
    respondent = {"labour": "宁夏某建筑工程有限公司", "property": "某物业服务有限公司",
                  "medical": "某卫生院", "pollution": "某养殖专业合作社"}.get(d.dispute_type, "")
    return [
        sealed_party(dispute=d, side="applicant", kind="person", name=_name(rng),
                     id_number=f"640202{rng.randint(1950, 2004)}{rng.randint(101, 1228):04d}"
                               f"{rng.randint(0, 9999):04d}",
                     phone=f"13{rng.randint(100000000, 999999999)}",
                     address=f"{d.address}{rng.randint(1, 60)}号"),
        sealed_party(dispute=d, side="respondent", kind="organisation" if org else "person",
                     name=respondent if org else _name(rng),
                     phone=f"0952-{rng.randint(2000000, 8999999)}" if org
                     else f"15{rng.randint(100000000, 999999999)}"),
    ]


def _screening(rng: random.Random, grids: list[Grid], lives: list[Life], now: dt.datetime,
               grid_user: User | None, my_grid: Grid) -> None:
    """Reports of every period (monthly by default) for every grid: found disputes link to
    theirs; the rest are 零报告."""
    months = [period_of(timezone.localtime(now).date())]
    while months[-1] > (now - plan.HISTORY_DAYS * DAY).date():
        months.append(period_of(months[-1] - DAY))
    found: dict[tuple[str, dt.date], list[Dispute]] = {}
    for life in lives:
        if life.d.source == "screening":
            month = period_of(timezone.localtime(life.d.created_at).date())
            found.setdefault((life.d.area_code, month), []).append(life.d)
    reports: list[ScreeningReport] = []
    for grid in grids:
        for i, month in enumerate(months):
            hits = found.get((grid.code, month), [])
            share = 0.55 if i == 0 else 0.9 if i == 1 else 0.97
            if not hits and (rng.random() > share or (i == 0 and grid == my_grid)):
                continue  # missing: the township sees it (the demo grid member still has to report)
            end = min(now, timezone.make_aware(dt.datetime.combine(month, dt.time(9))) + 27 * DAY)
            at = max(timezone.make_aware(dt.datetime.combine(month, dt.time(9))),
                     min(end, max((d.created_at for d in hits), default=end)))
            report = ScreeningReport(grid_code=grid.code, grid=grid, period=month,
                                     zero_report=not hits, submitted_at=at,
                                     notes=f"本期排查发现矛盾纠纷 {len(hits)} 件" if hits else "",
                                     reporter=grid_user if grid == my_grid else None)
            reports.append(report)
            for d in hits:
                d.screening = report
    ScreeningReport.objects.bulk_create(reports, batch_size=2000)
