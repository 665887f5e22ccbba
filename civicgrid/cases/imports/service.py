"""``import_cases``: the one service behind ``civicgrid import-cases`` and the imports API.

Rows are cleaned one by one (a bad row is rejected with its row number and reason, never
stopping the others), placed in bulk (grid by point, else the named street/village, else the
import's root area; owner centre by ``routing.owner_for``; accept deadline from the policy
table), and written in chunks: each chunk is one transaction holding its cases and their
timeline rows, so a row is either wholly imported or not at all. The work-order number with
the source name (``Case.channel_detail``) is the upsert key: an unchanged row changes nothing,
a changed one updates the case's text and adds an ``import_update`` timeline entry.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO, Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from psycopg import errors as pg_errors

from civicgrid.accounts.models import User
from civicgrid.accounts.scope import scope_for
from civicgrid.areas import locator
from civicgrid.areas.models import Area, AreaLevel, Grid
from civicgrid.cases import deadlines, routing
from civicgrid.cases.imports import loader
from civicgrid.cases.imports.clean import Cleaner, Rejected, Row, RowError
from civicgrid.cases.imports.mapping import Mapping
from civicgrid.cases.imports.pipeline import Pipeline
from civicgrid.cases.imports.reader import Table, read_table
from civicgrid.cases.intake import CODE_ALPHABET, CODE_LENGTH
from civicgrid.cases.models import Case, Stage, State
from civicgrid.core import audit
from civicgrid.core.errors import PermissionDenied, ValidationFailed
from civicgrid.core.personal import lookup_hashes, seal_many
from civicgrid.core.transactions import write_transaction

CHUNK = 5_000  # small enough that the writers start early and the last chunk ends soon
FIRST_CHUNK = 1_000  # the first one smaller still: the database idles until it is handed over
PROGRESS_EVERY = 1_000  # rows read between two calls of the progress callback
# case codes in bulk: random bytes mapped onto the intake's alphabet (bytes past the last whole
# multiple of its length are dropped, so every character is equally likely)
_USABLE = 256 - 256 % len(CODE_ALPHABET)
_TO_ALPHABET = bytes(ord(CODE_ALPHABET[b % len(CODE_ALPHABET)]) if b < _USABLE else 0
                     for b in range(256))
_DROP = bytes(range(_USABLE, 256))


def new_codes(count: int) -> list[str]:
    """``count`` fresh case codes like ``intake.new_code`` (a collision is retried by the caller)."""
    text = ""
    while len(text) < count * CODE_LENGTH:
        raw = secrets.token_bytes(count * CODE_LENGTH * 11 // 10 + 16)
        text += raw.translate(_TO_ALPHABET, _DROP).decode("ascii")
    return [text[i:i + CODE_LENGTH] for i in range(0, count * CODE_LENGTH, CODE_LENGTH)]
CLOSED, REPORTED = State.CLOSED.value, State.REPORTED.value
# compared to decide whether a re-imported row changed; the phone is sealed with a fresh nonce
# each time (core.personal), so its keyed hash stands for it
UPDATED_FIELDS = ("title", "description", "address", "reporter_name", "reporter_phone_hash")


@dataclass
class ImportResult:
    source: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> dict[str, Any]:
        return {"source": self.source, "rows": self.rows, "created": self.created,
                "updated": self.updated, "unchanged": self.unchanged,
                "rejected": len(self.rejected), "seconds": round(self.seconds, 3)}


def default_root(actor: User | None) -> Area:
    """The widest area the actor may import into; for the system, the only county (demo)."""
    if actor is not None:
        prefixes = sorted(scope_for(actor, "cases.import").area_prefixes, key=len)
        area = Area.objects.filter(code=prefixes[0]).first() if prefixes else None
        if area is not None:
            return area
    counties = list(Area.objects.filter(level=AreaLevel.COUNTY).order_by("code")[:2])
    if len(counties) == 1:
        return counties[0]
    raise ValidationFailed("请指定导入的区划范围（root_area）。", code="root_area_required")


def _root(actor: User | None, mapping: Mapping) -> Area:
    if actor is not None:
        scope = scope_for(actor, "cases.import")
        if scope.is_empty:
            raise PermissionDenied("您无权批量导入事件。", code="action_not_permitted")
    if not mapping.root_area:
        return default_root(actor)
    root = Area.objects.filter(code=mapping.root_area).first()
    if root is None:
        raise ValidationFailed(f"区划 {mapping.root_area} 不存在。", code="unknown_area")
    if actor is not None and not scope.covers_code(root.code):
        raise PermissionDenied(f"您无权向 {root.name} 导入事件。", code="action_not_permitted")
    return root


class Placer:
    """Grid, owner centre and accept deadline for cleaned rows, with everything cached."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now
        self.grid_ids = dict(Grid.objects.current().values_list("code", "pk"))
        self._owners: dict[str, tuple[int, str]] = {}
        self._due: dict[tuple[int | None, str, str], dt.datetime] = {}
        self.policies = list(deadlines.DeadlinePolicy.objects.filter(stage=Stage.ACCEPT))

    def owner(self, area_code: str) -> tuple[int, str]:
        key = area_code[:9]
        if key not in self._owners:
            center = routing.owner_for(area_code)
            self._owners[key] = (center.pk, center.area.level)
        return self._owners[key]

    def due(self, row: Row, level: str) -> dt.datetime:
        key = (row.category.id if row.category else None, row.urgency, level)
        found = self._due.get(key)
        if found is None:
            policy = deadlines.best_policy(self.policies, stage=Stage.ACCEPT, category=row.category,
                                           urgency=row.urgency, area_level=level)
            found = self._due[key] = deadlines._limit(policy, Stage.ACCEPT).due(self.now)
        return found

    def grids(self, rows: list[Row]) -> list[str | None]:
        found: list[str | None] = [None] * len(rows)
        with_point = [i for i, r in enumerate(rows) if r.lng is not None]
        if with_point:
            codes = locator.locate_many([rows[i].lng for i in with_point],  # type: ignore[misc]
                                        [rows[i].lat for i in with_point])  # type: ignore[misc]
            for i, code in zip(with_point, codes, strict=True):
                found[i] = code
        return found


@contextmanager
def _chunk_transaction(source: str) -> Iterator[None]:
    with write_transaction():
        loader.lock_source(source)
        yield


_SEPARATOR = "\x1f"  # ASCII unit separator


def _existing(source: str, refs: list[str]) -> dict[str, tuple[Any, ...]]:
    found: dict[str, tuple[Any, ...]] = {}
    if connection.vendor == "postgresql":  # one query with an array, not thousands of parameters
        columns = ", ".join(("source_ref", "id", "state", *UPDATED_FIELDS))
        # the numbers as one text split by the server: psycopg quotes an array's items one by
        # one in Python (≈ 0.5 µs a row); a number holding the separator gets the array
        joined = _SEPARATOR.join(refs)
        param = "string_to_array(%s, E'\\x1f')" if joined.count(_SEPARATOR) == len(refs) - 1 else "%s"
        # through the source_ref index whatever the statistics say: an import grows the table
        # faster than they follow (the first import into a new system starts from "empty"), and
        # the planner then scans the whole table for every chunk (200,000 cases imported into
        # an empty table: 17 ms a chunk at 100,000 rows, growing with the table; by the index
        # 3 ms at any size). The setting is this transaction's (a savepoint inside a caller's:
        # put back after the query, undone with the savepoint should it fail).
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('enable_seqscan'), "
                           "set_config('enable_seqscan', 'off', true)")
            before = cursor.fetchone()[0]
            # fixed column and table names; the values are parameters
            cursor.execute(f"SELECT {columns} FROM {Case._meta.db_table} "  # noqa: S608
                           f"WHERE channel_detail = %s AND source_ref = ANY({param})",
                           [source, joined if param != "%s" else refs])
            for values in cursor.fetchall():
                found[values[0]] = values[1:]
            cursor.execute("SELECT set_config('enable_seqscan', %s, true)", [before])
        return found
    for i in range(0, len(refs), 2000):
        for values in (Case.objects.filter(channel_detail=source, source_ref__in=refs[i:i + 2000])
                       .values_list("source_ref", "pk", "state", *UPDATED_FIELDS)):
            found[values[0]] = values[1:]
    return found


class Importer:
    """Prepares each chunk (keys looked up, rows placed and built) and stores it.

    PostgreSQL outside a transaction: the chunks go to a ``Pipeline`` (two writer connections,
    committed in order) under a session lock on the source; otherwise each chunk is one
    transaction on the current connection, as part of the caller's transaction if there is one.
    Use as a context manager around the whole import."""

    def __init__(self, *, actor: User | None, mapping: Mapping, now: dt.datetime) -> None:
        self.actor, self.mapping, self.now = actor, mapping, now
        self.placer = Placer(now)
        self.cases = loader.case_table(now)
        self.events = loader.event_table(now)
        self.actor_name = (actor.display_name or actor.username) if actor else "系统"
        self.actor_org = actor.org_unit_id if actor else None
        self._event_data_head = json.dumps({"channel": mapping.channel, "source": mapping.source},
                                           ensure_ascii=False)[:-1]
        postgresql = connection.vendor == "postgresql"
        self._stamp = now if postgresql else connection.ops.adapt_datetimefield_value(now)
        self._json = loader.json_maker()
        self.bulk_checks = loader.bulk_checks_allowed([self.cases, self.events])
        self.parallel = postgresql and not connection.in_atomic_block
        self._pipeline: Pipeline | None = None

    def __enter__(self) -> Importer:
        if self.parallel:
            loader.lock_source(self.mapping.source, session=True)
            try:
                self._pipeline = Pipeline()
            except BaseException:
                loader.unlock_source(self.mapping.source)
                raise
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        if self._pipeline is None:
            return
        try:
            if kind is None or issubclass(kind, Exception):
                # what was handed over is kept when reading fails later (after a failed chunk
                # nothing is left to settle: it and the later ones were rolled back)
                self._pipeline.settle()
        finally:
            self._pipeline.close()
            self._pipeline = None
            loader.unlock_source(self.mapping.source)

    def _new_rows(self, placed: list[tuple[Row, str | None]], ids: list[int], codes: list[str],
                  sealed: list[str], hashes: dict[str, str]
                  ) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        """The rows of the new cases (``loader.CASE_COLUMNS``) and of their first timeline
        entries (``loader.EVENT_COLUMNS``), in one pass with everything per import looked up
        once (this loop runs for every imported case)."""
        channel, source, now = self.mapping.channel, self.mapping.source, self.now
        owner, due, grid_ids = self.placer.owner, self.placer.due, self.placer.grid_ids
        head, to_json = self._event_data_head, self._json
        actor_id = self.actor.pk if self.actor else None
        actor_name, actor_org = self.actor_name, self.actor_org
        case_rows: list[tuple[Any, ...]] = []
        event_rows: list[tuple[Any, ...]] = []
        for case_id, code, (row, grid), phone in zip(ids, codes, placed, sealed, strict=True):
            area_code = grid or row.area_code
            owner_id, level = owner(area_code)
            closed = row.closed_at is not None
            state = CLOSED if closed else REPORTED
            ref, category = row.source_ref, row.category
            case_rows.append((
                case_id, code, channel, source, ref, category.id if category else None,
                row.urgency, row.title, row.description, row.address, row.lng, row.lat,
                grid_ids.get(grid) if grid else None, area_code, owner_id, state,
                row.reporter_name, phone, hashes[ref], row.reported_at, row.closed_at, now,
                None if closed else due(row, level), now))
            quoted = (f'"{ref}"' if ref.isascii() and ref.isalnum()
                      else json.dumps(ref, ensure_ascii=False))
            # the same object as json.dumps of {channel, source, source_ref, row, grid} (the
            # reported time is the case's created_at)
            data = f'{head}, "source_ref": {quoted}, "row": {row.number}, "grid": "{grid or ""}"}}'
            event_rows.append((case_id, now, actor_id, actor_name, actor_org, "import", "", state,
                               row.description[:200], to_json(data)))
        return case_rows, event_rows

    def _event(self, case_id: int, action: str, from_state: str, to_state: str, note: str,
               data: str) -> tuple[Any, ...]:
        return (case_id, self.now, self.actor.pk if self.actor else None, self.actor_name,
                self.actor_org, action, from_state, to_state, note[:200], self._json(data))

    def write(self, rows: list[Row], result: ImportResult) -> None:
        """Hand over one chunk: stored (PostgreSQL: while the caller cleans the next one) and
        counted in ``result`` once committed."""
        if self._pipeline is None:
            self._write_now(rows, result)
            return
        written = self._prepare(rows)
        self._pipeline.submit(lambda cursor: self._store_retrying(cursor, written),
                              lambda: written.count(result))

    def _store_retrying(self, cursor: Any, written: Written) -> None:
        """A writer's chunk (helper thread, its own transaction): a lost race on a case code is
        retried with new codes."""
        for attempt in range(3):
            cursor.execute("SAVEPOINT chunk")
            try:
                written.store(cursor, self.cases, self.events, bulk_checks=self.bulk_checks)
                return
            except pg_errors.UniqueViolation:
                if attempt == 2:
                    raise
                cursor.execute("ROLLBACK TO SAVEPOINT chunk")
                written.renew_codes()

    def _write_now(self, rows: list[Row], result: ImportResult, attempts: int = 3) -> None:
        """One chunk in one transaction on this connection; a lost race on a case code is
        retried."""
        for attempt in range(attempts):
            try:
                with _chunk_transaction(self.mapping.source):
                    written = self._prepare(rows)
                    if connection.vendor == "postgresql":
                        with connection.cursor() as cursor, connection.wrap_database_errors:
                            written.store(cursor.cursor, self.cases, self.events,
                                          bulk_checks=self.bulk_checks)
                    else:
                        self.cases.write(written.case_rows)
                        self.events.write(written.event_rows)
                        if written.update_rows:
                            with connection.cursor() as cursor:
                                cursor.executemany(UPDATE_SQL, written.update_rows)
                written.count(result)
                return
            except IntegrityError:
                if attempt == attempts - 1:
                    raise

    def _prepare(self, rows: list[Row]) -> Written:
        """Look the keys up, and build the rows of the new cases, their timeline entries and the
        updates of changed cases (with theirs)."""
        existing = _existing(self.mapping.source, [r.source_ref for r in rows])
        fresh = [r for r in rows if r.source_ref not in existing]
        hashes = dict(zip((r.source_ref for r in rows), lookup_hashes([r.phone for r in rows]),
                          strict=True))
        update_rows: list[tuple[Any, ...]] = []
        update_events: list[tuple[Any, ...]] = []
        unchanged = 0
        for r in rows:
            old = existing.get(r.source_ref)
            if old is None:
                continue
            new = (r.title, r.description, r.address, r.reporter_name, hashes[r.source_ref])
            if tuple(old[2:]) == new:
                unchanged += 1
                continue
            update_rows.append((*new[:4], *seal_many([r.phone]), new[4], self._stamp, old[0]))
            fields = [f.removesuffix("_hash")
                      for f, a, b in zip(UPDATED_FIELDS, old[2:], new, strict=True) if a != b]
            data = json.dumps({"source": self.mapping.source, "source_ref": r.source_ref,
                               "row": r.number, "fields": fields}, ensure_ascii=False)
            update_events.append(self._event(old[0], "import_update", old[1], old[1],
                                             r.description, data))
        # placing may reject rows (a place with no centre): those never reach the database
        placed: list[tuple[Row, str | None]] = []
        rejected: list[Rejected] = []
        for r, grid in zip(fresh, self.placer.grids(fresh), strict=True):
            try:
                self.placer.owner(grid or r.area_code)
            except ValidationFailed as exc:
                rejected.append(Rejected(r.number, r.source_ref, exc.code, exc.message))
                continue
            placed.append((r, grid))
        ids = loader.reserve_case_ids(len(placed))
        codes = new_codes(len(placed))
        sealed = seal_many([r.phone for r, _g in placed])
        case_rows, event_rows = self._new_rows(placed, ids, codes, sealed, hashes)
        return Written(case_rows, event_rows + update_events, update_rows, unchanged, rejected)


# the changed text of an imported case (values: the text fields, the sealed phone and its hash,
# updated_at, id); the table name
# comes from the model's meta
UPDATE_SQL = (f"UPDATE {Case._meta.db_table} SET title = %s, description = %s, address = %s, "  # noqa: S608
              "reporter_name = %s, reporter_phone = %s, reporter_phone_hash = %s, "
              "version = version + 1, updated_at = %s "
              "WHERE id = %s")


@dataclass
class Written:
    """One chunk's rows, and what it adds to the result once committed."""

    case_rows: list[tuple[Any, ...]]
    event_rows: list[tuple[Any, ...]]  # the new cases' first entries, then the updates'
    update_rows: list[tuple[Any, ...]]
    unchanged: int
    rejected: list[Rejected]

    def store(self, cursor: Any, cases: loader.Table, events: loader.Table, *,
              bulk_checks: bool) -> None:
        """PostgreSQL, on a psycopg cursor in the chunk's transaction (any thread)."""
        loader.store(cursor, [(cases, self.case_rows), (events, self.event_rows)],
                     bulk_checks=bulk_checks, json_ready=True)
        if self.update_rows:
            cursor.executemany(UPDATE_SQL, self.update_rows)

    def renew_codes(self) -> None:
        fresh = new_codes(len(self.case_rows))
        self.case_rows = [(r[0], code, *r[2:]) for r, code in zip(self.case_rows, fresh, strict=True)]

    def count(self, result: ImportResult) -> None:
        result.rejected.extend(self.rejected)
        result.created += len(self.case_rows)
        result.updated += len(self.update_rows)
        result.unchanged += self.unchanged


def _clean_all(table: Table, cleaner: Cleaner, importer: Importer, result: ImportResult,
               progress: Callable[[int], None] | None) -> None:
    seen: dict[str, int] = {}
    chunk: list[Row] = []
    size = min(FIRST_CHUNK, CHUNK)
    for number, cells in table.rows:
        result.rows += 1
        try:
            row = cleaner.clean(number, cells)
            if row.source_ref in seen:
                raise RowError("duplicate_ref", f"工单编号 {row.source_ref} 与第 {seen[row.source_ref]} "
                                                "行重复。")
            seen[row.source_ref] = number
            chunk.append(row)
        except RowError as exc:
            ref = cleaner._text(cells, "source_ref") if not isinstance(cells[0], ValueError) else ""
            result.rejected.append(Rejected(number, ref, exc.code, exc.reason))
        if len(chunk) >= size:
            importer.write(chunk, result)
            chunk, size = [], CHUNK
        if progress is not None and result.rows % PROGRESS_EVERY == 0:
            progress(PROGRESS_EVERY)
    if chunk:
        importer.write(chunk, result)
    if progress is not None and result.rows % PROGRESS_EVERY:
        progress(result.rows % PROGRESS_EVERY)


def import_cases(*, actor: User | None, file: IO[bytes], name: str = "", mapping: Mapping,
                 progress: Callable[[int], None] | None = None,
                 on_total: Callable[[int | None], None] | None = None) -> ImportResult:
    """Import a CSV/.xlsx export. ``actor=None``: the system (the command without --user)."""
    started = time.perf_counter()
    root = _root(actor, mapping)
    now = timezone.now()
    table = read_table(file, name=name, sheet=mapping.sheet)
    if on_total is not None:
        on_total(table.total)
    cleaner = Cleaner(mapping, table.headers, root, now)
    result = ImportResult(source=mapping.source)
    with Importer(actor=actor, mapping=mapping, now=now) as importer, loader.collector_paused():
        _clean_all(table, cleaner, importer, result, progress)
    result.rejected.sort(key=lambda r: r.number)
    result.seconds = time.perf_counter() - started
    audit.record(actor=actor, action="cases.import", target=f"{mapping.source}:{name}"[:200],
                 data=result.summary())
    return result
