"""Two years of demo cases, written in bulk (the services would take minutes for 20,000).

Each case gets a planned life (channel, category, place, fate and step durations, all drawn
from the seed), its timeline is written step by step along the transition table, cut at
"now" (recent cases are still open), and the stored fields — state, times, deadlines,
assignments, counters, version — are replayed from that timeline the way the services set
them. Deadlines come from the deadline policies and the statutory calendar. A few recent
cases are steered so that every demo login finds work in its queue.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from django.db import transaction
from django.utils import timezone

from civicgrid.accounts.models import OrgKind, OrgUnit, User
from civicgrid.areas.models import Grid
from civicgrid.cases import deadlines
from civicgrid.cases.intake import CODE_ALPHABET, CODE_LENGTH
from civicgrid.cases.models import (
    STAGE_OF_STATE,
    Assignment,
    Case,
    CaseEvent,
    Category,
    Stage,
    State,
)
from civicgrid.cases.transitions import TRANSITIONS
from civicgrid.core.workcalendar import add_workdays

CASES_PER_GRID = 20_000 / 600  # the default 600-grid demo gets about 20,000 cases
HISTORY_DAYS = 730
CHANNELS = [("grid", 55), ("hotline", 25), ("portal", 10), ("household", 5), ("sensor", 3),
            ("walkin", 2)]
R, G, D, P, H, C = (State.REPORTED, State.REGISTERED, State.DISPATCHED, State.IN_PROGRESS,
                    State.HANDLED, State.CLOSED)
REOPEN_WINDOW = dt.timedelta(days=7)


@dataclass
class Ev:
    at: dt.datetime
    action: str
    to: str | None = None  # None: the state stays
    data: dict[str, Any] = field(default_factory=dict)
    note: str = ""


@dataclass
class Plan:
    created: dt.datetime
    grid: Grid
    category: Category
    channel: str
    owner: OrgUnit
    lead: OrgUnit | None
    events: list[Ev]
    reporter: User | None = None
    stop_at: str | None = None  # steered: the timeline ends when the case reaches this state


def default_count(grids: int) -> int:
    return round(grids * CASES_PER_GRID)


class _World:
    """What the generator draws from, loaded once."""

    def __init__(self) -> None:
        self.grids = list(Grid.objects.current().order_by("code"))
        self.categories = list(Category.objects.filter(parent__isnull=False, is_active=True)
                               .select_related("parent").order_by("code"))
        centers = OrgUnit.objects.filter(kind=OrgKind.CENTER).select_related("area")
        self.centers = {c.area.code: c for c in centers}
        self.district = self.centers["640202"]
        self.departments = {d.department_type: d for d in OrgUnit.objects.filter(
            kind=OrgKind.DEPARTMENT, area__code="640202").order_by("code")}
        self.users = {u.username: u for u in User.objects.filter(
            username__in=["grid", "resident", "dept", "street", "leader"])}
        self.my_grid = next((g for g in self.grids if g.code == _grant_grid(self.users.get("grid"))),
                            self.grids[0])

    def township_center(self, code: str) -> OrgUnit:
        return self.centers.get(code[:9], self.district)


def _grant_grid(user: User | None) -> str:
    from civicgrid.accounts.models import RoleGrant

    grant = RoleGrant.objects.filter(user=user).exclude(grid_code="").first() if user else None
    return grant.grid_code if grant else ""


@lru_cache(maxsize=4096)
def _limit(stage: str, category_id: int, urgency: str, level: str) -> deadlines.Limit:
    return deadlines.limit_for(stage=stage, category=Category.objects.select_related("parent")
                               .get(pk=category_id), urgency=urgency, area_level=level)


@lru_cache(maxsize=8192)
def _workday_shift(day: dt.date, days: int) -> dt.date:
    start = timezone.make_aware(dt.datetime.combine(day, dt.time(12)))
    return timezone.localtime(add_workdays(start, days)).date()


def due(stage: str, category: Category, owner: OrgUnit, start: dt.datetime) -> dt.datetime:
    limit = _limit(stage, category.pk, category.urgency, owner.area.level)
    if limit.unit == "hours":
        return start + dt.timedelta(hours=limit.amount)
    local = timezone.localtime(start)
    day = _workday_shift(local.date(), limit.amount)
    return local.replace(year=day.year, month=day.month, day=day.day)


def _hours(rng: random.Random, low: float, high: float) -> dt.timedelta:
    return dt.timedelta(hours=rng.uniform(low, high))


def plan_case(w: _World, rng: random.Random, created: dt.datetime, *, grid: Grid | None = None,
              channel: str | None = None, reporter: User | None = None,
              fate: str | None = None, category: Category | None = None) -> Plan:
    grid = grid or rng.choice(w.grids)
    category = category or rng.choice(w.categories)
    channel = channel or rng.choices([c for c, _ in CHANNELS], [n for _, n in CHANNELS])[0]
    owner = w.township_center(grid.code)
    lead = w.departments.get(category.department_type) or w.departments["chengguan"]
    if fate is None:
        roll = rng.random()
        on_spot_share = 0.15 / 0.55  # ~15 % of all cases: grid members resolve them on the spot
        fate = ("on_spot" if channel == "grid" and rng.random() < on_spot_share else
                "reject" if roll < 0.03 else "merge" if roll < 0.05 else "normal")
    t = created
    events = [Ev(t, "report", R, {"channel": channel, "grid": grid.code})]
    plan = Plan(created, grid, category, channel, owner, lead, events, reporter)

    def step(action: str, target: str | None, low: float, high: float, **data: Any) -> None:
        nonlocal t
        t = t + _hours(rng, low, high)
        events.append(Ev(t, action, target, data))

    if fate == "reject":
        step("reject", State.REJECTED, 0.2, 3)
        return plan
    if fate == "merge":
        step("merge", State.MERGED, 0.2, 6)
        return plan
    if fate == "on_spot":
        plan.lead = None
        step("resolve_on_spot", H, 0.1, 1)
        step("verify_pass", C, 2, 40)
    else:
        if rng.random() < 0.01:
            step("escalate", None, 0.2, 2, to=w.district.pk)
        step("register", G, 0.1, 2.5)
        step("dispatch", D, 0.1, 3, lead=lead.pk)
        if rng.random() < 0.02:  # sent to the wrong department first
            step("return", G, 0.5, 20)
            step("dispatch", D, 0.2, 3, lead=lead.pk)
        step("sign", P, 0.1, 2.5)
        late = rng.random() < 0.1
        work = rng.uniform(4, 80) if not late else rng.uniform(150, 400)
        if late and rng.random() < 0.5:
            step("supervise", None, work * 0.8, work * 0.9, level=rng.choice([1, 1, 2, 3]))
        step("handle", H, work * 0.1 if late else work * 0.9, work)
        for _ in range(1 if rng.random() < 0.05 else 0):
            step("verify_fail", P, 2, 30)
            step("handle", H, 4, 60)
        step("verify_pass", C, 1, 40)
    if rng.random() < 0.7:
        satisfaction = rng.choices([5, 4, 3, 2, 1], [62, 26, 8, 3, 1])[0]
        if fate == "on_spot":
            satisfaction = max(satisfaction, 3)
        step("callback", None, 20, 110, satisfaction=satisfaction)
        if satisfaction <= 2:  # reopened within the window: handled again and closed
            step("handle", H, 8, 60)
            step("verify_pass", C, 1, 30)
    return plan


@dataclass
class Built:
    case: Case
    events: list[CaseEvent]
    assignments: list[Assignment]


def replay(plan: Plan, now: dt.datetime, code: str) -> Built:
    """The stored case, assignments and timeline after the plan's events up to ``now``."""
    case = Case(code=code, channel=plan.channel, category=plan.category,
                urgency=plan.category.urgency, title=plan.category.name,
                description=f"{plan.grid.name}：{plan.category.name}，请尽快处理。",
                address=plan.grid.name, lng=plan.grid.centroid_lng, lat=plan.grid.centroid_lat,
                grid=plan.grid, area_code=plan.grid.code, owner=plan.owner, reporter=plan.reporter,
                created_at=plan.created, stage_started_at=plan.created, on_the_spot=plan.lead is None)
    events: list[CaseEvent] = []
    assignments: list[Assignment] = []
    lead: Assignment | None = None
    state = ""
    for ev in plan.events:
        if ev.at > now:
            break
        t = TRANSITIONS.get(ev.action)
        target = ev.to
        closed_for = ev.at - (case.closed_at or ev.at)
        if ev.action == "callback" and ev.data["satisfaction"] <= 2 and closed_for <= REOPEN_WINDOW:
            t = TRANSITIONS["reopen" if lead else "reopen_unassigned"]
            target = t.target
        if t is not None:
            assert state in t.sources, (ev.action, state)
        frm = state
        if ev.action == "escalate":
            case.owner = plan.owner = ev_owner(plan, ev)
            case.escalation_count += 1
        elif ev.action == "register":
            case.registered_at = ev.at
        elif ev.action == "dispatch":
            lead = Assignment(department=plan.lead, role="lead", state="dispatched",
                              dispatched_at=ev.at,
                              sign_due_at=due(Stage.SIGN, plan.category, case.owner, ev.at),
                              handle_due_at=due(Stage.HANDLE, plan.category, case.owner, ev.at))
            assignments.append(lead)
            case.dispatched_at = ev.at
            case.handle_due_at = max(filter(None, [case.handle_due_at, lead.handle_due_at]))
        elif ev.action == "sign" and lead:
            lead.state, lead.signed_at = "signed", ev.at
        elif ev.action == "return" and lead:
            lead.state, lead, case.handle_due_at = "returned", None, None
        elif ev.action in ("handle", "resolve_on_spot"):
            case.handled_at, case.result = ev.at, "已处置完毕。"
            if lead:
                lead.state, lead.handled_at, lead.result = "handled", ev.at, case.result
        elif ev.action in ("verify_fail", "reopen", "reopen_unassigned"):
            if ev.action == "verify_fail":
                case.rework_count += 1
            else:
                case.reopen_count += 1
                case.closed_at = case.closed_on_time = None
            if lead:
                fresh = due(Stage.HANDLE, plan.category, case.owner, ev.at)
                case.handle_due_at = max(fresh, case.handle_due_at or fresh)
                lead.state, lead.handle_due_at = "signed", case.handle_due_at
        elif ev.action in ("verify_pass", "reject", "merge"):
            case.closed_at = ev.at
            if ev.action == "verify_pass":
                case.closed_on_time = case.handle_due_at is None or case.handled_at <= case.handle_due_at
        elif ev.action == "supervise":
            case.supervise_level = max(case.supervise_level, ev.data["level"])
        if ev.action == "callback" or t is not None and t.action.startswith("reopen"):
            case.satisfaction = ev.data["satisfaction"]
        if target is not None and target != state:
            state = target
            _enter(case, state, ev.at, plan)
        case.state = state
        events.append(CaseEvent(at=ev.at, actor_name=_who(ev.action, case),
                                action=t.action if t else ev.action, from_state=frm,
                                to_state=state, data=ev.data, note=ev.note))
        if plan.stop_at is not None and state == plan.stop_at:
            break
    case.version = len(events) - 1
    case.updated_at = events[-1].at
    return Built(case, events, assignments)


def ev_owner(plan: Plan, ev: Ev) -> OrgUnit:
    return OrgUnit.objects.select_related("area").get(pk=ev.data["to"]) if ev.data.get("to") else plan.owner


def _enter(case: Case, state: str, at: dt.datetime, plan: Plan) -> None:
    case.stage_started_at = at
    stage = STAGE_OF_STATE.get(State(state))
    if stage is None:
        case.due_at = None
    elif state == P and case.handle_due_at is not None:
        case.due_at = case.handle_due_at
    else:
        case.due_at = due(stage, plan.category, case.owner, at)


def _who(action: str, case: Case) -> str:
    if action in ("sign", "return", "handle", "co_handle"):
        return "职能部门处置员"
    if action in ("report", "resolve_on_spot"):
        return "网格员" if case.channel == "grid" else "群众"
    return f"{case.owner.name}" if action != "callback" else "12345回访"


def _steered(w: _World, rng: random.Random, now: dt.datetime) -> list[Plan]:
    """Recent cases that put something in every demo login's queue."""
    plans = []
    street_grids = [g for g in w.grids if g.code.startswith("640202001")] or w.grids
    chengguan = [c for c in w.categories if c.department_type == "chengguan"]
    for stop in [R, R, R, G, G, D, D, D, P, P, P, H, H, H, H]:
        # 城管's work; the handled ones wait in the grid member's own grid for verification
        grid = w.my_grid if stop == H else rng.choice(street_grids)
        plan = plan_case(w, rng, now - dt.timedelta(days=30), grid=grid, fate="normal",
                         category=rng.choice(chengguan))
        plan.events = [e for e in plan.events if e.action != "escalate"]
        plan.stop_at = stop
        _end_at(plan, next(e for e in plan.events if e.to == stop), now - _hours(rng, 0.2, 6))
        plans.append(plan)
    for i in range(4):  # the resident's own, closed lately and waiting for a rating
        plan = plan_case(w, rng, now - dt.timedelta(days=6), grid=w.my_grid, channel="portal",
                         reporter=w.users.get("resident"), fate="normal")
        closing = next(k for k, e in enumerate(plan.events) if e.action == "verify_pass")
        plan.events = plan.events[:closing + 1]  # no callback yet
        _end_at(plan, plan.events[-1], now - dt.timedelta(hours=2 + 5 * i))
        plans.append(plan)
    for i in range(6):  # overdue and supervised: on the leader's list
        plan = plan_case(w, rng, now - dt.timedelta(days=12 + i), fate="normal")
        sign = next(k for k, e in enumerate(plan.events) if e.action == "sign")
        plan.events.insert(sign, Ev(plan.events[sign].at - dt.timedelta(minutes=5), "supervise",
                                    None, {"level": 1 + i % 3}))
        plan.stop_at = P
        plans.append(plan)
    return plans


def _end_at(plan: Plan, event: Ev, at: dt.datetime) -> None:
    """Shift the whole timeline so that ``event`` happens at ``at``."""
    shift = event.at - at
    for e in plan.events:
        e.at -= shift
    plan.created -= shift


def build_cases(count: int, seed: int, now: dt.datetime | None = None) -> int:
    """Generate ``count`` cases over the last two years (plus the steered ones)."""
    if count <= 0:
        return 0
    now = now or timezone.now()
    _limit.cache_clear()  # categories and calendar overrides may differ from the last build
    _workday_shift.cache_clear()
    rng = random.Random(seed * 7919 + count)
    w = _World()
    start = now - dt.timedelta(days=HISTORY_DAYS)
    times = sorted(start + dt.timedelta(seconds=rng.uniform(0, HISTORY_DAYS * 86400)) for _ in range(count))
    plans = [plan_case(w, rng, t) for t in times]
    for plan in plans:
        if rng.random() < 0.015:  # stuck: still open and past its deadline
            plan.stop_at = rng.choice([D, P, P, P])
    plans += _steered(w, rng, now)
    codes: set[str] = set(Case.objects.values_list("code", flat=True))
    built = []
    for plan in plans:
        code = "".join(rng.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        while code in codes:
            code = "".join(rng.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        codes.add(code)
        built.append(replay(plan, now, code))
    with transaction.atomic():
        Case.objects.bulk_create([b.case for b in built], batch_size=1000)
        _link_merges(built)
        for b in built:
            for item in (*b.events, *b.assignments):
                item.case = b.case
        Assignment.objects.bulk_create([a for b in built for a in b.assignments], batch_size=2000)
        CaseEvent.objects.bulk_create([e for b in built for e in b.events], batch_size=2000)
    return len(built)


def _link_merges(built: list[Built]) -> None:
    """A merged case points at an earlier open-looking case of the same category."""
    merged = [b.case for b in built if b.case.state == State.MERGED]
    by_category: dict[int, list[Case]] = {}
    for b in built:
        by_category.setdefault(b.case.category_id or 0, []).append(b.case)
    first = next(b.case for b in built if b.case.state != State.MERGED)
    for case in merged:
        earlier = [c for c in by_category[case.category_id or 0]
                   if c.created_at < case.created_at and c.state != State.MERGED]
        case.merged_into = earlier[-1] if earlier else first
    Case.objects.bulk_update(merged, ["merged_into"], batch_size=1000)
