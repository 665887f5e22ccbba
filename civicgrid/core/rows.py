"""Plain INSERTs for the hot paths: what ``save(force_insert=True)`` and ``bulk_create`` do,
in one statement with less of the ORM's generic machinery.

Every case report writes three rows (the case, its first timeline entry, its idempotency key)
and a webhook queue row per subscriber. Django's save path costs ≈ 700 Python calls per row
(signals, per-field preparation through several layers, the compiler), and on PostgreSQL
``bulk_create`` of several rows sends each column as an array (UNNEST), whose quoting of
JSON payloads cost more than the report itself (docs/benchmarks.md, "Case intake",
"Webhooks"). ``insert`` prepares each value with the field's own ``pre_save`` and
``get_db_prep_save`` — the same values Django would send — and writes ``INSERT … VALUES
(…), (…) [ON CONFLICT DO NOTHING] RETURNING pk`` (PostgreSQL and SQLite ≥ 3.35).

``insert_family`` writes a new row and rows that refer to it (a case, its first timeline
entry, its idempotency key) — on PostgreSQL as one statement whose data-modifying CTEs pass the
new key on, so a report is one round trip and, in autocommit, atomic by itself.

Like ``bulk_create``, neither sends ``pre_save``/``post_save`` signals: use them only for
models nothing listens to (``tests/core/test_rows.py`` holds the rows equal to ``save()``'s).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import Field, Model

from civicgrid.core.bound import bound_cursor


def insert(rows: Sequence[Model], *, ignore_conflicts: bool = False) -> None:
    """Insert new ``rows`` of one model; each gets its primary key (unless ``ignore_conflicts``,
    where a row that conflicted is skipped and the keys are not read back)."""
    if not rows:
        return
    meta = type(rows[0])._meta
    pk = meta.pk
    assert pk is not None
    auto_pk = all(getattr(row, pk.attname) is None for row in rows)
    fields = _columns(rows[0], auto_pk)
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    db = connections[DEFAULT_DB_ALIAS]  # the wrapper itself: the proxy looks it up per attribute
    params = [f.get_db_prep_save(f.pre_save(row, True), db) for row in rows for f in fields]
    sql = f"{_into(meta.db_table, fields)} VALUES {', '.join([one] * len(rows))}"
    if ignore_conflicts:
        sql += " ON CONFLICT DO NOTHING"
    read_back = auto_pk and not ignore_conflicts
    if read_back:
        sql += f" RETURNING {connection.ops.quote_name(pk.column)}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        keys = [r[0] for r in cursor.fetchall()] if read_back else []
    for index, row in enumerate(rows):
        _stored(row, keys[index] if read_back else None)


def insert_family(parent: Model, children: Sequence[tuple[Model, str]]) -> None:
    """Insert the new ``parent`` (auto primary key) and each new child with its foreign key
    ``field`` (``(child, field)``) pointing at it; every row gets its primary key. PostgreSQL:
    one statement (``WITH p AS (INSERT … RETURNING id), c0 AS (INSERT … VALUES ((SELECT id
    FROM p), …)) …``), all or nothing even in autocommit; elsewhere one INSERT after another
    in one transaction."""
    if connection.vendor != "postgresql":
        with transaction.atomic(savepoint=False):
            insert([parent])
            for child, field in children:
                setattr(child, field, parent)
                insert([child])
        return
    quote = connection.ops.quote_name
    pk_column = quote(_pk(parent).column)
    params: list[Any] = []
    parts = [f"p AS ({_values(parent, True, None, '', params)} RETURNING {pk_column})"]
    returned = [_key_of("p", pk_column)]
    for index, (child, field) in enumerate(children):
        child_pk = _pk(child)
        auto = getattr(child, child_pk.attname) is None
        values = _values(child, auto, child._meta.get_field(field), _key_of("p", pk_column), params)
        parts.append(f"c{index} AS ({values} RETURNING {quote(child_pk.column)})")
        returned.append(_key_of(f"c{index}", quote(child_pk.column)))
    with bound_cursor() as cursor:
        cursor.execute(f"WITH {', '.join(parts)} SELECT {', '.join(returned)}", params)
        keys = cursor.fetchone()
    _stored(parent, keys[0])
    for index, (child, field) in enumerate(children):
        setattr(child, field, parent)
        _stored(child, keys[index + 1])


def _pk(row: Model) -> Field[Any, Any]:
    pk = row._meta.pk
    assert pk is not None
    return pk


def _columns(row: Model, auto_pk: bool) -> list[Field[Any, Any]]:
    pk = row._meta.pk
    return [f for f in row._meta.concrete_fields if not (auto_pk and f is pk)]


def _values(row: Model, auto_pk: bool, link: Field[Any, Any] | None, link_sql: str,
            params: list[Any]) -> str:
    """``INSERT INTO table (columns) VALUES (…)`` for one row, its values appended to ``params``;
    ``link`` gets ``link_sql`` instead of a value. A nullable column whose value is NULL is left
    out (it is NULL all the same): fewer values keep psycopg's cache of the statement's parsed
    text (≤ 50 values) and make the text shorter."""
    columns, values = [], []
    for f in _columns(row, auto_pk):
        if f is link:
            columns.append(f)
            values.append(link_sql)
            continue
        value = _prepared(row, f)
        if value is None and f.null and not f.has_db_default():
            continue
        columns.append(f)
        values.append("%s")
        params.append(value)
    return f"{_into(row._meta.db_table, columns)} VALUES ({', '.join(values)})"


def _prepared(row: Model, field: Field[Any, Any]) -> Any:
    """The value Django's save would send for ``field`` of a new ``row``."""
    return field.get_db_prep_save(field.pre_save(row, True), connections[DEFAULT_DB_ALIAS])


def _into(table: str, fields: Sequence[Field[Any, Any]]) -> str:
    quote = connection.ops.quote_name
    return f"INSERT INTO {quote(table)} ({', '.join(quote(f.column) for f in fields)})"  # noqa: S608 - names from the model


def _key_of(cte: str, column: str) -> str:
    return f"(SELECT {column} FROM {cte})"  # noqa: S608 - a CTE and a column of the model


def _stored(row: Model, key: Any) -> None:
    if key is not None:
        setattr(row, _pk(row).attname, key)
    row._state.adding = False
    row._state.db = connection.alias
