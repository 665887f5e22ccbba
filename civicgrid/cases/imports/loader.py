"""The fast path: many cases and their timeline rows in one go, without per-row ORM saves.

PostgreSQL gets ``COPY … FROM STDIN`` (psycopg 3 ``cursor.copy``), SQLite ``executemany``.
Case ids are reserved first (PostgreSQL: ``nextval`` of the table's sequence; SQLite: above the
current maximum, under the write lock the transaction already holds), so the timeline rows can
point at their cases in the same transaction. Columns this module does not fill get their
model default, so a field added later does not break the import.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection, models

from civicgrid.cases.models import Case, CaseEvent


def _default(field: models.Field[Any, Any], now: dt.datetime) -> Any:
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return now
    value = field.get_default()
    if isinstance(field, models.JSONField):
        return json.dumps(value, ensure_ascii=False)
    return value


class Table:
    """The concrete columns of a model: given per-row values for some, defaults for the rest."""

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

    @property
    def db_table(self) -> str:
        return self.model._meta.db_table

    def write(self, rows: Iterable[tuple[Any, ...]]) -> int:
        """Insert the rows (values for ``given``, in order) with the defaults appended."""
        qn = connection.ops.quote_name
        cols = ", ".join(qn(c) for c in self.column_names)
        constants = self.constants
        count = 0
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                sql = f"COPY {qn(self.db_table)} ({cols}) FROM STDIN"
                with cursor.cursor.copy(sql) as copy:
                    write = copy.write_row
                    for row in rows:
                        write(row + constants)
                        count += 1
                return count
            adapt = connection.ops.adapt_datetimefield_value
            positions = self.datetime_positions
            placeholders = ", ".join(["%s"] * len(self.column_names))
            # table and column names come from the model's meta, quoted; values are parameters
            sql = f"INSERT INTO {qn(self.db_table)} ({cols}) VALUES ({placeholders})"  # noqa: S608
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


CASE_COLUMNS = (
    "id", "code", "channel", "channel_detail", "source_ref", "category_id", "urgency", "title",
    "description", "address", "lng", "lat", "grid_id", "area_code", "owner_id", "state",
    "reporter_name", "reporter_phone", "created_at", "closed_at", "stage_started_at", "due_at",
    "updated_at",
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
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) "
                           "FROM generate_series(1, %s)", [table, count])
            return [r[0] for r in cursor.fetchall()]
    top = Case.objects.aggregate(top=models.Max("id"))["top"] or 0
    return list(range(top + 1, top + 1 + count))


def lock_source(source: str) -> None:
    """One import per source system at a time (PostgreSQL; SQLite's write lock already is)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))",
                           [f"civicgrid.import:{source}"])
