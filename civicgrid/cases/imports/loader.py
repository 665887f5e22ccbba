"""The fast path: many cases and their timeline rows in one go, without per-row ORM saves.

PostgreSQL gets a binary ``COPY … FROM STDIN`` (psycopg 3 ``cursor.copy`` with the columns'
types set, so the server parses no text), SQLite ``executemany``. Case ids are reserved first
(PostgreSQL: ``nextval`` of the table's sequence; SQLite: above the current maximum, under the
write lock the transaction already holds), so the timeline rows can point at their cases in the
same transaction. Columns this module does not fill get their model default, so a field added
later does not break the import.

Foreign keys, PostgreSQL: per row, each key costs its deferred trigger one query (and the
timeline row's key to its new case a row lock on it): about 40 % of the server's work for an
imported case. ``store`` checks them in bulk instead when the role may (``bulk_checks_allowed``):
the distinct keys a batch names, one query per referenced table that finds and locks them as
the triggers would (``FOR KEY SHARE``, until the commit), keys to rows inserted in the same batch
checked against the batch itself, and the per-row triggers switched off for those COPYs only
(``SET LOCAL session_replication_role = replica``; rows written after them are checked as usual).

``Background`` runs the PostgreSQL COPYs of one chunk on the import's own connection (same
transaction) in a helper thread, so that the server stores one chunk while Python cleans the
next (the thread waits on the socket with the GIL released).
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from itertools import chain, islice
from typing import Any

from django.conf import settings
from django.db import OperationalError, connection, models
from psycopg import errors as pg_errors
from psycopg.types.json import Jsonb

from civicgrid.cases.models import Case, CaseEvent

ROWS_PER_INSERT = 200  # SQLite: rows per INSERT statement (Table.insert)
SQLITE_PARAMETERS = 32_766  # SQLite's default limit of parameters per statement (since 3.32)

BYTEA_OID = 17  # PostgreSQL: bytea (Table.copy of ready-made jsonb)


def _default(field: models.Field[Any, Any], now: dt.datetime) -> Any:
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return now
    value = field.get_default()
    if isinstance(field, models.JSONField):
        return json.dumps(value, ensure_ascii=False)
    return value


def _utc_text(value: dt.datetime) -> str:
    """What SQLite's ``adapt_datetimefield_value`` stores (naive UTC text), without its detours."""
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return str(value)


def _literal(value: Any) -> str | None:
    """A default as SQLite literal text (None, numbers, text), so ``Table.insert`` need not bind
    it per row (binding NULL or a bool goes through the sqlite3 module's adapter lookup);
    None when it must be bound."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, int | float) and value == value and abs(value) != float("inf"):
        return repr(value)
    if isinstance(value, str) and "\x00" not in value:
        return "'" + value.replace("'", "''") + "'"
    return None


def _as_is(text: str) -> str:
    return text


def json_value(text: str) -> Any:
    """JSON text as ``Table`` rows may carry it ready-made (``Table.copy(…, json_ready=True)``):
    PostgreSQL's binary jsonb, else the text."""
    return json_maker()(text)


def _jsonb_binary(text: str) -> bytes:
    """jsonb's binary form (what ``jsonb_recv`` reads: version 1, then the text): sent as bytes,
    so psycopg's C dumper passes it on instead of a Python dumper per value (≈ 0.35 µs a row)."""
    return b"\x01" + text.encode()


def json_maker() -> Callable[[str], Any]:
    """``json_value`` for the current connection's database, decided once (for many rows)."""
    return _jsonb_binary if connection.vendor == "postgresql" else _as_is


class Table:
    """The concrete columns of a model: given per-row values for some, defaults for the rest.

    JSON columns take JSON text (``json.dumps``), on both databases.
    """

    def __init__(self, model: type[models.Model], given: Sequence[str], now: dt.datetime) -> None:
        self.model = model
        fields = {f.attname: f for f in model._meta.concrete_fields}
        missing = set(given) - set(fields)
        if missing:
            raise RuntimeError(f"{model.__name__} has no columns {sorted(missing)}")
        self.rest = [f for name, f in fields.items() if name not in given and not f.primary_key]
        order = [fields[name] for name in given] + self.rest
        self.column_names = [f.column for f in order]
        self.constants = tuple(_default(f, now) for f in self.rest)
        self.datetime_positions = [i for i, f in enumerate(order)
                                   if isinstance(f, models.DateTimeField)]
        self.json_given = [i for i, name in enumerate(given)
                           if isinstance(fields[name], models.JSONField)]
        # foreign keys among the given columns: (position, referenced model)
        self.keys = [(i, fields[name].related_model) for i, name in enumerate(given)
                     if fields[name].many_to_one]
        self.id_position = given.index("id") if "id" in given else None
        # keys the defaults name (none so far: the nullable ones default to NULL)
        self.constant_keys = [(f.related_model, value) for f, value in zip(
            self.rest, self.constants, strict=True) if f.many_to_one and value is not None]
        # binary COPY: JSON text goes out as it is, behind jsonb's version byte
        self.binary_constants = tuple(Jsonb(v, dumps=_as_is) if isinstance(f, models.JSONField)
                                      else v for f, v in zip(self.rest, self.constants, strict=True))
        self._oids: list[int] | None = None
        self.given = tuple(given)
        self._insert_sql: dict[int, str] = {}

    @property
    def db_table(self) -> str:
        return self.model._meta.db_table

    def oids(self, cursor: Any) -> list[int]:
        """PostgreSQL type oids of the columns, in order (binary COPY sends typed values)."""
        if self._oids is None:
            cursor.execute("SELECT attname, atttypid FROM pg_attribute WHERE attrelid = %s::regclass "
                           "AND attnum > 0 AND NOT attisdropped", [self.db_table])
            types = dict(cursor.fetchall())
            self._oids = [int(types[c]) for c in self.column_names]
        return self._oids

    def copy(self, cursor: Any, rows: Iterable[tuple[Any, ...]], *, json_ready: bool = False) -> int:
        """PostgreSQL: binary COPY on a psycopg cursor (any thread; the connection's transaction).
        ``json_ready``: the JSON columns hold ``json_value``s already."""
        qn = connection.ops.quote_name
        cols = ", ".join(qn(c) for c in self.column_names)
        constants = self.binary_constants
        json_given = [] if json_ready else self.json_given
        count = 0
        oids = self.oids(cursor)
        if json_ready and self.json_given:  # jsonb's binary form, dumped as the bytes it is
            oids = [BYTEA_OID if i in self.json_given else oid for i, oid in enumerate(oids)]
        with cursor.copy(f"COPY {qn(self.db_table)} ({cols}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(oids)
            write = copy.write_row
            if json_given:
                for row in rows:
                    values = list(row)
                    for i in json_given:
                        values[i] = Jsonb(values[i], dumps=_as_is)
                    write((*values, *constants))
                    count += 1
            else:
                for row in rows:
                    write(row + constants)
                    count += 1
        return count

    def references(self, rows: Sequence[tuple[Any, ...]]) -> dict[type[models.Model], set[Any]]:
        """The distinct keys the rows name, per referenced model (nulls left out)."""
        found: dict[type[models.Model], set[Any]] = {}
        for i, model in self.keys:
            keys = found.setdefault(model, set())  # type: ignore[arg-type]
            keys.update({row[i] for row in rows})
            keys.discard(None)
        for model, value in self.constant_keys:
            if rows:
                found.setdefault(model, set()).add(value)  # type: ignore[arg-type]
        return found

    def insert(self, cursor: Any, rows: Iterable[tuple[Any, ...]], *, times_ready: bool = False) -> int:
        """SQLite: multi-row ``INSERT … VALUES (…), (…), …`` on a sqlite3 cursor (any thread),
        values ready as stored (times as naive UTC): what ``write`` does without Django's cursor.
        ``times_ready``: the time columns hold that text already.

        Up to ``ROWS_PER_INSERT`` rows per statement: ``executemany`` ran one statement per row,
        and the per-statement work (reset, the AUTOINCREMENT counter read and written back, a
        bind per value) cost about as much as storing the row (1,000,000 timeline rows: 3.8 s
        as executemany, 1.1 s in statements of 200 rows)."""
        constants = self._bound_constants()
        positions = [] if times_ready else [i for i in self.datetime_positions if i < len(self.given)]
        per = max(1, min(ROWS_PER_INSERT, SQLITE_PARAMETERS // (len(self.given) + len(constants))))

        def ready(row: tuple[Any, ...]) -> tuple[Any, ...]:
            values = list(row + constants)
            for i in positions:
                if values[i] is not None:
                    values[i] = _utc_text(values[i])
            return tuple(values)

        prepared = (map(ready, rows) if positions
                    else (row + constants for row in rows) if constants else iter(rows))
        count = 0
        while batch := list(islice(prepared, per)):
            cursor.execute(self._values_sql(len(batch)), list(chain.from_iterable(batch)))
            count += len(batch)
        return count

    def _bound_constants(self) -> tuple[Any, ...]:
        """The defaults ``insert`` binds per row (those not written into its SQL as literals),
        times as stored."""
        return tuple(_utc_text(v) if isinstance(v, dt.datetime) else v
                     for v in self.constants if _literal(v) is None)

    def _values_sql(self, rows: int) -> str:
        """``INSERT INTO table (columns) VALUES (?, …, literal, …), …`` for ``rows`` rows
        (cached): the given columns and the bound defaults first, then the literal ones."""
        sql = self._insert_sql.get(rows)
        if sql is None:
            qn = connection.ops.quote_name
            literals = [_literal(v) for v in self.constants]
            given = self.column_names[:len(self.given)]
            rest = self.column_names[len(self.given):]
            bound = [c for c, text in zip(rest, literals, strict=True) if text is None]
            fixed = [(c, text) for c, text in zip(rest, literals, strict=True) if text is not None]
            cols = ", ".join(qn(c) for c in [*given, *bound, *(c for c, _text in fixed)])
            one = "(" + ", ".join(["?"] * (len(given) + len(bound)) + [t for _c, t in fixed]) + ")"
            # names come from the model's meta, quoted; values are parameters or _literal's text
            sql = f"INSERT INTO {qn(self.db_table)} ({cols}) VALUES " + ", ".join([one] * rows)  # noqa: S608
            self._insert_sql[rows] = sql
        return sql

    def write(self, rows: Iterable[tuple[Any, ...]]) -> int:
        """Insert the rows (values for ``given``, in order) with the defaults appended."""
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                return self.copy(cursor.cursor, rows)
        qn = connection.ops.quote_name
        cols = ", ".join(qn(c) for c in self.column_names)
        constants = self.constants
        adapt = (_utc_text if settings.USE_TZ and connection.timezone_name == "UTC"
                 else connection.ops.adapt_datetimefield_value)
        positions = self.datetime_positions
        placeholders = ", ".join(["%s"] * len(self.column_names))
        count = 0
        # table and column names come from the model's meta, quoted; values are parameters
        sql = f"INSERT INTO {qn(self.db_table)} ({cols}) VALUES ({placeholders})"  # noqa: S608
        with connection.cursor() as cursor:
            batch: list[list[Any]] = []
            for row in rows:
                values = list(row + constants)
                for i in positions:
                    if values[i] is not None:
                        values[i] = adapt(values[i])
                batch.append(values)
                if len(batch) >= 5000:
                    cursor.executemany(sql, batch)
                    count += len(batch)
                    batch = []
            if batch:
                cursor.executemany(sql, batch)
                count += len(batch)
        return count


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while millions of row tuples are made: they hold no cycles,
    and the collector would walk every one of them again and again."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@contextmanager
def indexes_rebuilt(models: list[Any], *, unique: bool = False) -> Iterator[None]:
    """Drop the non-unique indexes (and, PostgreSQL, foreign keys) of these tables; make them
    again from their stored definitions afterwards (same transaction). ``unique``: the unique
    indexes and constraints too (not the primary key), for rows known to be unique."""
    tables = [m._meta.db_table for m in models]
    again: list[str] = []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # foreign-key checks of rows written earlier in this transaction run now (a table
            # with pending checks cannot be altered); Django's keys are deferred again after
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE; SET CONSTRAINTS ALL DEFERRED")
            for table in tables:
                cursor.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                               "WHERE conrelid = %s::regclass AND contype = ANY(%s)",
                               [table, ["f", "u"] if unique else ["f"]])
                for name, definition in cursor.fetchall():
                    cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
                    again.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
                cursor.execute("SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) "
                               "FROM pg_index i WHERE i.indrelid = %s::regclass "
                               "AND (%s OR NOT i.indisunique) AND NOT i.indisprimary "
                               "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
                               [table, unique])
                for name, definition in cursor.fetchall():
                    cursor.execute(f"DROP INDEX {name}")
                    again.insert(0, definition)
        else:
            for table in tables:
                cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                               "AND tbl_name = %s AND sql IS NOT NULL", [table])
                for name, definition in cursor.fetchall():
                    if definition.upper().startswith("CREATE UNIQUE") and not unique:
                        continue
                    cursor.execute(f'DROP INDEX "{name}"')
                    again.append(definition)
    yield
    with connection.cursor() as cursor:
        threads = None
        if connection.vendor == "postgresql":  # sorts in memory: one pass per index
            cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        else:  # SQLite's sorter: helper threads sort and merge its runs (one per CPU)
            cursor.execute("PRAGMA threads")
            threads = int(cursor.fetchone()[0])
            cursor.execute(f"PRAGMA threads = {max(threads, os.cpu_count() or 1)}")
        for statement in again:
            cursor.execute(statement)
        if threads is not None:
            cursor.execute(f"PRAGMA threads = {threads}")


@contextmanager
def large_cache(mib: int = 256) -> Iterator[None]:
    """SQLite: a page cache of ``mib`` MiB for this connection while it loads (the random case
    codes touch every page of their unique index); as it was afterwards."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        before = int(cursor.fetchone()[0])
        cursor.execute(f"PRAGMA cache_size = {-1024 * mib}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {before}")


@contextmanager
def rollback_journal() -> Iterator[bool]:
    """SQLite, around one bulk load's transaction: a rollback journal instead of the
    write-ahead log while it runs (``journal_mode = DELETE``, ``synchronous = FULL``), WAL
    again afterwards. Yields whether it switched.

    In WAL mode every page the load writes goes to the log first and reaches the database file
    only at a checkpoint after the commit, and a page written again after the cache let it go
    is logged again: ten million cases made a log of ~20 GB, through which the index rebuild
    at the end then read. With a rollback journal the new pages go straight into the database
    file, and the journal holds only the original content of the few pages that existed before.
    Nothing half made all the same: a failure or a rollback copies those pages back and cuts
    the file to its old length; after a crash the journal left behind ("hot") does the same at
    the next open. Readers wait while the load writes (the tables are the load's anyway).

    Only outside a transaction (the mode cannot change inside one; a test's transaction keeps
    its mode) and only from WAL; SQLite leaves WAL only when no other connection has the
    database open, else the load runs in WAL as before. Every new connection sets WAL again
    (the settings' init command), should the switch back fail."""
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        yield False
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        if str(cursor.fetchone()[0]).lower() != "wal":
            switched = False
        else:
            cursor.execute("PRAGMA busy_timeout")
            busy = int(cursor.fetchone()[0])
            cursor.execute("PRAGMA busy_timeout = 0")  # another connection open: WAL at once
            try:
                cursor.execute("PRAGMA journal_mode = DELETE")
                switched = str(cursor.fetchone()[0]).lower() == "delete"
            except OperationalError:  # "database is locked": a server or reader has it open
                switched = False
            finally:
                cursor.execute(f"PRAGMA busy_timeout = {busy}")
        cursor.execute("PRAGMA synchronous")
        synchronous = int(cursor.fetchone()[0])
        if switched:  # NORMAL is safe with WAL only; FULL costs a few syncs of the journal
            cursor.execute("PRAGMA synchronous = FULL")
    try:
        yield switched
    finally:
        if switched:
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA journal_mode = WAL")
                cursor.execute(f"PRAGMA synchronous = {synchronous}")


class Background:
    """Database work of one chunk, run on the current connection by a helper thread.

    psycopg connections may be used from another thread, and so may Django's sqlite3 ones
    (``check_same_thread=False``; both serialise access); the caller touches the database again
    only after ``join``. ``join`` re-raises what the work raised.
    """

    def __init__(self, work: Callable[[Any], None], raw: Any = None) -> None:
        """``raw``: another psycopg connection to work on (default: the current one, whose
        transaction is already open)."""
        self._error: BaseException | None = None
        raw = connection.connection if raw is None else raw

        def run() -> None:
            try:
                cursor = raw.cursor()
                try:
                    work(cursor)
                finally:
                    cursor.close()
            except BaseException as exc:  # noqa: BLE001 — handed to the caller in join()
                self._error = exc

        self._thread = threading.Thread(target=run, name="civicgrid-import-copy", daemon=True)
        self._thread.start()

    def join(self) -> None:
        self._thread.join()
        if self._error is not None:
            raise self._error


CASE_COLUMNS = (
    "id", "code", "channel", "channel_detail", "source_ref", "category_id", "urgency", "title",
    "description", "address", "lng", "lat", "grid_id", "area_code", "owner_id", "state",
    "reporter_name", "reporter_phone", "reporter_phone_hash", "created_at", "closed_at",
    "stage_started_at", "due_at", "updated_at",
)
EVENT_COLUMNS = ("case_id", "at", "actor_id", "actor_name", "actor_org_id", "action",
                 "from_state", "to_state", "note", "data")


def case_table(now: dt.datetime) -> Table:
    return Table(Case, CASE_COLUMNS, now)


def event_table(now: dt.datetime) -> Table:
    return Table(CaseEvent, EVENT_COLUMNS, now)


def reserve_case_ids(count: int) -> list[int]:
    """``count`` fresh primary keys for cases (the caller holds the write transaction)."""
    if count == 0:
        return []
    table = Case._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # the sequence looked up once: pg_get_serial_sequence per row cost ≈ 7 µs a key;
            # the keys as one text, not a row each (5,000 rows fetched: ≈ 3.6 ms, the text 0.9)
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
            sequence = cursor.fetchone()[0]
            cursor.execute("SELECT string_agg(nextval(%s::regclass)::text, ',') "
                           "FROM generate_series(1, %s)", [sequence, count])
            return list(map(int, cursor.fetchone()[0].split(",")))
    top = Case.objects.aggregate(top=models.Max("id"))["top"] or 0
    return list(range(top + 1, top + 1 + count))


def lock_source(source: str, *, session: bool = False) -> None:
    """One import per source system at a time (PostgreSQL; SQLite's write lock already is):
    until the transaction ends, or with ``session`` until ``unlock_source``."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT pg_advisory{'' if session else '_xact'}_lock(hashtext(%s))",
                           [f"civicgrid.import:{source}"])


def unlock_source(source: str) -> None:
    """Release ``lock_source(source, session=True)``."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock(hashtext(%s))", [f"civicgrid.import:{source}"])


def bulk_checks_allowed(tables: Sequence[Table]) -> bool:
    """PostgreSQL: may ``store`` check the foreign keys of these tables in bulk? Only when this
    role may set ``session_replication_role`` (superuser, or ``GRANT SET ON PARAMETER
    session_replication_role`` on PostgreSQL 15+, docs/import-cases.md) and the tables have no
    trigger of their own that replica mode would skip (only the keys' internal ones)."""
    if connection.vendor != "postgresql":
        return False
    names = [t.db_table for t in tables]
    with connection.cursor() as cursor:
        if connection.pg_version >= 150000:
            cursor.execute("SELECT has_parameter_privilege('session_replication_role', 'SET')")
        else:
            cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        allowed = bool(cursor.fetchone()[0])
        cursor.execute("SELECT count(*) FROM pg_trigger WHERE tgrelid = ANY(%s::regclass[]) "
                       "AND NOT tgisinternal AND tgenabled = 'O'", [names])
        return allowed and cursor.fetchone()[0] == 0


def lock_references(cursor: Any, references: dict[type[models.Model], set[Any]]) -> None:
    """Find and lock (``FOR KEY SHARE``, as the foreign-key triggers do) every referenced row, one
    query per table; a missing one is the ``ForeignKeyViolation`` a trigger would raise."""
    qn = connection.ops.quote_name
    for model, keys in references.items():
        if not keys:
            continue
        pk = qn(model._meta.pk.column)
        # table and column names come from the model's meta, quoted; the keys are a parameter
        cursor.execute(f"SELECT {pk} FROM {qn(model._meta.db_table)} WHERE {pk} = ANY(%s) "  # noqa: S608
                       "FOR KEY SHARE", [sorted(keys)])
        missing = keys - {row[0] for row in cursor.fetchall()}
        if missing:
            raise pg_errors.ForeignKeyViolation(
                f"{model._meta.db_table}: no rows with keys {sorted(missing)[:5]}")


def store(cursor: Any, batches: Sequence[tuple[Table, Sequence[tuple[Any, ...]]]], *,
          bulk_checks: bool, json_ready: bool = False) -> None:
    """PostgreSQL: binary COPY of each (table, rows) in order, in the cursor's transaction.

    ``bulk_checks`` (see ``bulk_checks_allowed``): the foreign keys are checked and locked in
    bulk first, keys to rows the batch itself inserts against those rows, and the COPYs run
    with the per-row triggers off; the setting is back to normal for whatever follows.
    ``json_ready``: the JSON columns hold ``json_value``s already."""
    if bulk_checks:
        inserted: dict[type[models.Model], set[Any]] = {}
        for table, rows in batches:
            if table.id_position is not None:
                i = table.id_position
                inserted.setdefault(table.model, set()).update(row[i] for row in rows)
        outside: dict[type[models.Model], set[Any]] = {}
        for table, rows in batches:
            for model, keys in table.references(rows).items():
                own = inserted.get(model)
                outside.setdefault(model, set()).update(keys - own if own else keys)
        lock_references(cursor, outside)
        cursor.execute("SELECT current_setting('session_replication_role')")
        role = cursor.fetchone()[0]
        cursor.execute("SET LOCAL session_replication_role = replica")
    for table, rows in batches:
        if rows:
            table.copy(cursor, rows, json_ready=json_ready)
    if bulk_checks:
        cursor.execute("SELECT set_config('session_replication_role', %s, true)", [role])
