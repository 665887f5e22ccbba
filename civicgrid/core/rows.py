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

Like ``bulk_create``, it sends no ``pre_save``/``post_save`` signals: use it only for models
nothing listens to (``tests/core/test_rows.py`` holds the rows equal to ``save()``'s).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection
from django.db.models import Model


def insert(rows: Sequence[Model], *, ignore_conflicts: bool = False) -> None:
    """Insert new ``rows`` of one model; each gets its primary key (unless ``ignore_conflicts``,
    where a row that conflicted is skipped and the keys are not read back)."""
    if not rows:
        return
    meta = type(rows[0])._meta
    pk = meta.pk
    assert pk is not None
    auto_pk = all(getattr(row, pk.attname) is None for row in rows)
    fields = [f for f in meta.concrete_fields if not (auto_pk and f is pk)]
    quote = connection.ops.quote_name
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    params = [f.get_db_prep_save(f.pre_save(row, True), connection) for row in rows for f in fields]
    sql = (f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "  # noqa: S608 - names from the model
           f"VALUES {', '.join([one] * len(rows))}")
    if ignore_conflicts:
        sql += " ON CONFLICT DO NOTHING"
    read_back = auto_pk and not ignore_conflicts
    if read_back:
        sql += f" RETURNING {quote(pk.column)}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        keys = [r[0] for r in cursor.fetchall()] if read_back else []
    for index, row in enumerate(rows):
        if read_back:
            setattr(row, pk.attname, keys[index])
        row._state.adding = False
        row._state.db = connection.alias
