"""Scale data: millions of demo cases in bulk (``civicgrid demo --add-cases N``).

The lives come from the demo generator itself (``civicgrid.demo.cases``): ``plan_case`` draws
a life — channel, category, grid, fate, step durations, callback and satisfaction — and
``replay`` walks it along the transition table into the stored case, its timeline and its
assignments, with deadlines from the policy table and the statutory calendar. Replaying every
one of ten million cases that way would take hours, so a pool of complete lives is replayed
once and each generated case is a copy of one of them moved in time by whole weeks (weekdays,
working days and the order of events stay as replayed; a moved copy does not re-apply
statutory holidays). A copy whose moved life would reach past "now" is replayed again at its
new date and cut at now, exactly as the demo does for recent cases, so the open cases at the
end are real open cases with current deadlines.

Cases are spread over ``years`` years (uniform, in time order, so ids grow with time), over
the demo city's grids, townships, centres and departments as the demo draws them. Merged
cases point at an earlier case of the same category. Codes are unique: a permutation of a
counter written in the intake's alphabet, checked against codes already stored.

Rows go out as the import writes them (``cases.imports.loader``: binary COPY on PostgreSQL,
multi-row INSERTs on SQLite), by a helper thread while the next week is generated, in one
transaction: nothing is half made. For a large load the tables' non-unique indexes (and on
PostgreSQL their foreign keys) are dropped first and made again at the end from their stored
definitions, which is how PostgreSQL's own restore loads data; the tables are locked for the
duration. The rollups (``civicgrid rollups rebuild``) are not touched.

SQLite, large load: the transaction runs under a rollback journal instead of the write-ahead
log (``loader.rollback_journal``), WAL again after it. "Nothing half made" then means: until
the commit the database file holds the new pages only past its old end and in pages the
journal has saved; an error rolls back (saved pages copied back, the file cut to its old
length) and leaves the database as it was and in WAL mode; a process killed mid-load leaves the
journal behind, and the next connection to open the file rolls it back the same way before it
reads (tests/demo/test_scale_journal.py). Other connections cannot read while the load writes.
A time on SQLite's rows is kept as (day, rest of the stored text) so that a moved copy costs a
lookup of its new day's text, not a datetime and its formatting per value.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db import connection, models
from django.utils import timezone

from civicgrid.cases.imports import loader
from civicgrid.cases.imports.service import new_codes
from civicgrid.cases.intake import CODE_ALPHABET, CODE_LENGTH
from civicgrid.cases.models import Assignment, Case, CaseEvent, State
from civicgrid.core.transactions import write_transaction
from civicgrid.demo.cases import Built, Plan, _World, plan_case, replay

WEEK = dt.timedelta(days=7)
FAST_LOAD_FROM = 200_000  # from this many cases on, indexes are dropped and made again
CASE_FIELDS = tuple(f.attname for f in Case._meta.concrete_fields
                    if not f.primary_key and f.attname not in ("code", "merged_into_id"))
CASE_COLUMNS = ("id", "code", "merged_into_id", *CASE_FIELDS)
EVENT_COLUMNS = ("case_id", "at", "actor_name", "action", "from_state", "to_state", "note", "data")
ASSIGNMENT_FIELDS = tuple(f.attname for f in Assignment._meta.concrete_fields
                          if not f.primary_key and f.attname != "case_id")
ASSIGNMENT_COLUMNS = ("case_id", *ASSIGNMENT_FIELDS)


def _time_positions(model: type[models.Model], fields: tuple[str, ...]) -> list[int]:
    return [i for i, name in enumerate(fields)
            if isinstance(model._meta.get_field(name.removesuffix("_id")), models.DateTimeField)]


_CASE_TIMES = _time_positions(Case, CASE_FIELDS)
_ASSIGNMENT_TIMES = _time_positions(Assignment, ASSIGNMENT_FIELDS)
_CASE_TIME_SET, _ASSIGNMENT_TIME_SET = frozenset(_CASE_TIMES), frozenset(_ASSIGNMENT_TIMES)
_MERGED = State.MERGED.value


@dataclass
class Life:
    """One replayed life, as rows without case id and code (times as replayed)."""

    plan: Plan
    owner: Any  # the plan's owner before replay (an escalation changes the plan's)
    created: dt.datetime
    end: dt.datetime  # the last event (aware; the rows' times are naive UTC on SQLite)
    category_id: int
    merged: bool
    case: tuple[Any, ...]  # CASE_FIELDS
    events: list[tuple[dt.datetime, tuple[Any, ...]]]  # (at, the other EVENT_COLUMNS but case_id)
    assignments: list[tuple[Any, ...]]  # ASSIGNMENT_FIELDS


def _rows(built: Built) -> tuple[tuple[Any, ...], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The replayed case, events and assignments as rows. SQLite stores naive UTC text: there
    a time is kept as its day (ordinal of the UTC date) and the rest of that text, so that a
    copy moved by whole weeks only looks its new day's text up (``_moved_text``), and a bool
    as the integer SQLite stores."""
    sqlite = connection.vendor == "sqlite"
    when = _stamp if sqlite else _as_is

    def value(v: Any, time: bool) -> Any:
        if v is None:
            return None
        if time:
            return when(v)
        return int(v) if sqlite and isinstance(v, bool) else v

    case = tuple(value(getattr(built.case, name), i in _CASE_TIME_SET)
                 for i, name in enumerate(CASE_FIELDS))
    events = [(when(e.at), (e.actor_name, e.action, e.from_state, e.to_state, e.note,
                            loader.json_value(json.dumps(e.data, ensure_ascii=False))))
              for e in built.events]
    assignments = [tuple(value(getattr(a, name), i in _ASSIGNMENT_TIME_SET)
                         for i, name in enumerate(ASSIGNMENT_FIELDS))
                   for a in built.assignments]
    return case, events, assignments


def _stamp(value: dt.datetime) -> tuple[int, str]:
    """A time as SQLite's row keeps it here: (day ordinal, text after the date) of naive UTC."""
    naive = value.astimezone(dt.UTC).replace(tzinfo=None)
    return naive.toordinal(), str(naive)[10:]


class _Days(dict[int, str]):
    """Day ordinal → ISO date text, made once per day."""

    def __missing__(self, ordinal: int) -> str:
        text = self[ordinal] = dt.date.fromordinal(ordinal).isoformat()
        return text


_DAY_TEXT = _Days()


def _as_is(value: dt.datetime) -> dt.datetime:
    return value


def _shifted(plan: Plan, owner: Any, delta: dt.timedelta) -> Plan:
    events = [dataclasses.replace(e, at=e.at + delta) for e in plan.events]
    return dataclasses.replace(plan, created=plan.created + delta, events=events, owner=owner)


def _lives(w: _World, rng: random.Random, start: dt.datetime, now: dt.datetime,
           size: int) -> list[Life]:
    """``size`` complete lives drawn as the demo draws them (1.5 % stuck open)."""
    far = now + dt.timedelta(days=36500)
    span = (now - start).total_seconds()
    lives = []
    for _ in range(size):
        plan = plan_case(w, rng, start + dt.timedelta(seconds=rng.uniform(0, span)))
        if rng.random() < 0.015:  # stuck: still open and past its deadline
            plan.stop_at = rng.choice([State.DISPATCHED, State.IN_PROGRESS, State.IN_PROGRESS,
                                       State.IN_PROGRESS])
        owner = plan.owner
        built = replay(_shifted(plan, owner, dt.timedelta(0)), far, "")
        case, events, assignments = _rows(built)
        lives.append(Life(plan, owner, plan.created, built.events[-1].at, plan.category.pk,
                          built.case.state == _MERGED, case, events, assignments))
    return lives


# every 3-digit group in the alphabet's base, least significant digit first; a code is
# 3 + 3 + 3 + 1 digits
_BASE = len(CODE_ALPHABET)
if CODE_LENGTH != 10:
    raise RuntimeError("civicgrid.demo.scale writes 10-character case codes")
_THREE = [CODE_ALPHABET[i % _BASE] + CODE_ALPHABET[i // _BASE % _BASE]
          + CODE_ALPHABET[i // _BASE ** 2] for i in range(_BASE ** 3)]


class Codes:
    """Unique case codes: a counter times a unit modulo 31¹⁰, written in the intake's alphabet."""

    def __init__(self, rng: random.Random) -> None:
        base = len(CODE_ALPHABET)
        self.space = base ** CODE_LENGTH
        self.step = rng.randrange(self.space // 3, self.space) | 1
        while self.step % base == 0:
            self.step += 2
        self.next = rng.randrange(self.space)

    def take(self, count: int) -> list[str]:
        """The next ``count`` codes: base-31 digits of the value, least significant first."""
        three, size = _THREE, len(_THREE)
        out = []
        value = self.next
        step, space = self.step, self.space
        for _ in range(count):
            value = (value + step) % space
            high, a = divmod(value, size)
            high, b = divmod(high, size)
            d, c = divmod(high, size)
            out.append(three[a] + three[b] + three[c] + CODE_ALPHABET[d])
        self.next = value
        return out

    def unique(self, count: int, stored: set[str]) -> list[str]:
        """``count`` codes, none of them among ``stored`` (codes drawn at random by the demo
        or the intake; the permutation never repeats its own)."""
        codes = self.take(count)
        clash = [i for i, c in enumerate(codes) if c in stored]
        while clash:
            for i, code in zip(clash, new_codes(len(clash)), strict=True):
                codes[i] = code
            clash = [i for i in clash if codes[i] in stored]
            stored.update(codes[i] for i in clash)
        return codes


def _lock(models: list[Any]) -> None:
    """PostgreSQL: no other writer until the load commits (readers go on); SQLite's write
    transaction already is that."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for model in models:
                cursor.execute(f"LOCK TABLE {model._meta.db_table} IN EXCLUSIVE MODE")


def _reserve_ids(count: int) -> int:
    """The first of ``count`` case ids (the tables are locked or the write lock is held)."""
    first = (Case.objects.aggregate(top=models.Max("id"))["top"] or 0) + 1
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)",
                           [Case._meta.db_table, first + count - 1])
    return first


def _per_week(rng: random.Random, count: int, weeks: int) -> list[int]:
    """How many cases each week gets: as even as can be, the odd ones in random weeks."""
    each, odd = divmod(count, weeks)
    extra = set(rng.sample(range(weeks), odd))
    return [each + (week in extra) for week in range(weeks)]


_NO_MOVE = dt.timedelta(0)
Rows = tuple[tuple[Any, ...], list[tuple[Any, ...]], list[tuple[Any, ...]]]


def _moved(case: tuple[Any, ...], events: list[tuple[dt.datetime, tuple[Any, ...]]],
           assignments: list[tuple[Any, ...]], delta: dt.timedelta) -> Rows:
    """A life's rows moved by ``delta`` (case, events as (at, *rest), assignments)."""
    values = list(case)
    for i in _CASE_TIMES:
        if values[i] is not None:
            values[i] += delta
    moved = []
    for a in assignments:
        row = list(a)
        for i in _ASSIGNMENT_TIMES:
            if row[i] is not None:
                row[i] += delta
        moved.append(tuple(row))
    return tuple(values), [(at + delta, *rest) for at, rest in events], moved


def _moved_text(case: tuple[Any, ...], events: list[tuple[Any, tuple[Any, ...]]],
                assignments: list[tuple[Any, ...]], delta: dt.timedelta) -> Rows:
    """``_moved`` for SQLite's rows (times as ``_stamp``s, ``delta`` whole days): the times
    become the text SQLite stores (``str`` of naive UTC, as Django's adapter writes it), made
    here once; ``loader.Table.insert(…, times_ready=True)`` sends it as it is."""
    days, day = delta.days, _DAY_TEXT
    values = list(case)
    for i in _CASE_TIMES:
        v = values[i]
        if v is not None:
            values[i] = day[v[0] + days] + v[1]
    moved = []
    for a in assignments:
        row = list(a)
        for i in _ASSIGNMENT_TIMES:
            v = row[i]
            if v is not None:
                row[i] = day[v[0] + days] + v[1]
        moved.append(tuple(row))
    return tuple(values), [(day[at[0] + days] + at[1], *rest) for at, rest in events], moved


class Generator:
    """Cases a week at a time, in report-time order (ids grow with time, as in real life)."""

    def __init__(self, lives: list[Life], rng: random.Random, start: dt.datetime,
                 now: dt.datetime, first_id: int) -> None:
        self.lives, self.rng, self.start, self.now = lives, rng, start, now
        self.next_id = first_id
        self.codes = Codes(rng)
        self.stored = set(Case.objects.values_list("code", flat=True).iterator(chunk_size=20_000))
        self.last_by_category: dict[int, int] = {}
        self.last_id: int | None = None
        self.replayed = 0
        self._move = _moved_text if connection.vendor == "sqlite" else _moved

    def _pick(self, week: int) -> tuple[dt.datetime, Life, dt.timedelta]:
        """A life moved by whole weeks into ``week`` (same weekday and time of day)."""
        while True:
            life = self.lives[self.rng.randrange(len(self.lives))]
            delta = (week - (life.created - self.start) // WEEK) * WEEK
            created = life.created + delta
            if life.merged and self.last_id is None:
                continue  # the first week made has nothing earlier to merge into
            if created <= self.now:
                return created, life, delta

    def week(self, week: int, count: int) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]],
                                                   list[tuple[Any, ...]]]:
        cases: list[tuple[Any, ...]] = []
        events: list[tuple[Any, ...]] = []
        assignments: list[tuple[Any, ...]] = []
        picked = sorted((self._pick(week) for _ in range(count)), key=lambda p: p[0])
        codes = self.codes.unique(count, self.stored)
        now, move = self.now, self._move
        for (_created, life, delta), code in zip(picked, codes, strict=True):
            case_id = self.next_id
            self.next_id += 1
            if life.end + delta > now:  # reaches past now: replayed at its date, cut at now
                built = replay(_shifted(life.plan, life.owner, delta), now, code)
                case_row, event_rows, assignment_rows = _rows(built)
                merged = built.case.state == _MERGED
                delta = _NO_MOVE
                self.replayed += 1
            else:
                case_row, event_rows, assignment_rows = life.case, life.events, life.assignments
                merged = life.merged
            case_row, event_rows, assignment_rows = move(case_row, event_rows, assignment_rows, delta)
            merged_into = None
            if merged:  # into an earlier case of its category (else the last one of any)
                merged_into = self.last_by_category.get(life.category_id, self.last_id)
            cases.append((case_id, code, merged_into, *case_row))
            events += [(case_id, *e) for e in event_rows]
            assignments += [(case_id, *a) for a in assignment_rows]
            if not merged:
                self.last_by_category[life.category_id] = case_id
                self.last_id = case_id
        return cases, events, assignments


def build_scale_cases(count: int, *, seed: int = 2026, years: float = 4,
                      now: dt.datetime | None = None, pool: int | None = None,
                      rebuild_indexes: bool | None = None,
                      progress: Callable[[int], None] | None = None) -> int:
    """Add ``count`` cases over the last ``years`` years to the demo city; returns the count."""
    if count <= 0:
        return 0
    now = now or timezone.now()
    rng = random.Random(seed * 104729 + count)
    w = _World()
    weeks = max(1, round(years * 365.25 / 7))
    start = now - weeks * WEEK
    with loader.collector_paused():
        lives = _lives(w, rng, start, now, pool or min(count, max(20_000, 10 * len(w.grids))))
    if rebuild_indexes is None:
        rebuild_indexes = count >= FAST_LOAD_FROM
    stamp = timezone.now()
    tables = [loader.Table(Case, CASE_COLUMNS, stamp), loader.Table(CaseEvent, EVENT_COLUMNS, stamp),
              loader.Table(Assignment, ASSIGNMENT_COLUMNS, stamp)]
    with (loader.rollback_journal() if rebuild_indexes else _nothing(), write_transaction(),
          loader.collector_paused(), loader.large_cache(1024 if rebuild_indexes else 256)):
        _lock([Case, CaseEvent, Assignment])
        with loader.indexes_rebuilt([Case, CaseEvent, Assignment]) if rebuild_indexes else _nothing():
            generator = Generator(lives, rng, start, now, _reserve_ids(count))
            pending: loader.Background | None = None
            try:
                for week, made in enumerate(_per_week(rng, count, weeks)):
                    if not made:
                        continue
                    rows = generator.week(week, made)  # while the last week is being stored
                    _join(pending)
                    pending = None
                    pending = loader.Background(lambda cursor, rows=rows: _store(cursor, tables, rows))
                    if progress is not None:
                        progress(made)
            finally:
                _join(pending)
    return count


def _join(pending: loader.Background | None) -> None:
    if pending is not None:
        with connection.wrap_database_errors:
            pending.join()


def _store(cursor: Any, tables: list[loader.Table], rows: tuple[list[Any], ...]) -> None:
    """One week's rows, in the helper thread: binary COPY (PostgreSQL), executemany (SQLite)."""
    for table, part in zip(tables, rows, strict=True):
        if connection.vendor == "postgresql":
            table.copy(cursor, part, json_ready=True)
        else:
            table.insert(cursor, part, times_ready=True)


@contextmanager
def _nothing() -> Iterator[None]:
    yield
