"""The case columns a fact is made of, read as arrays (``facts.compute`` turns them into facts).

Times come out of SQL as integer microseconds since the epoch (``workspan.NONE`` for NULL),
the state as ``CLOSED`` / ``OPEN`` / ``OTHER``: numbers, not millions of Python datetimes.
The fold reads the cases its events touch (``read_ids``), the rebuild all of them in id
order, a chunk at a time (``read_after``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from django.db import connection

from civicgrid.cases.models import OPEN_STATES, Case, State
from civicgrid.stats.workspan import NONE

CLOSED, OPEN, OTHER = 1, 2, 0
TIMES = ("created_at", "registered_at", "dispatched_at", "handled_at", "closed_at", "due_at")


def _micros(vendor: str, column: str) -> str:
    """SQL: a datetime column as integer microseconds since the epoch, NONE for NULL."""
    if vendor == "postgresql":
        value = f"CAST(EXTRACT(EPOCH FROM {column}) * 1000000 AS BIGINT)"
    else:  # SQLite keeps naive UTC text "YYYY-MM-DD HH:MM:SS[.ffffff]"
        # the whole seconds from the text without its fraction (SQLite rounds to milliseconds)
        value = (f"(CAST(strftime('%%s', substr({column}, 1, 19)) AS INTEGER) * 1000000 + "
                 f"CASE WHEN substr({column}, 20, 1) = '.' "
                 f"THEN CAST(substr(substr({column}, 21, 6) || '000000', 1, 6) AS INTEGER) ELSE 0 END)")
    return f"COALESCE({value}, {NONE})"


def select_sql() -> str:
    qn = connection.ops.quote_name
    open_states = ", ".join(f"'{s.value}'" for s in sorted(OPEN_STATES))
    columns = [
        "id", "area_code", "COALESCE(category_id, 0)", "channel", "urgency", "owner_id",
        f"CASE WHEN state = '{State.CLOSED.value}' THEN {CLOSED} "
        f"WHEN state IN ({open_states}) THEN {OPEN} ELSE {OTHER} END",
        *(_micros(connection.vendor, c) for c in TIMES),
        "COALESCE(CAST(closed_on_time AS INTEGER), 0)", "rework_count", "COALESCE(satisfaction, -1)",
    ]
    return f"SELECT {', '.join(columns)} FROM {qn(Case._meta.db_table)}"  # noqa: S608 - constants


class Columns:
    """The case columns of a batch, one array (or list) per column, in id order."""

    def __init__(self, rows: list[tuple[Any, ...]]) -> None:
        cols: list[tuple[Any, ...]] = list(zip(*rows, strict=True)) if rows else [()] * 16
        self.id = np.array(cols[0], dtype=np.int64)
        self.area: list[str] = list(cols[1])
        self.category = np.array(cols[2], dtype=np.int64)
        self.channel: list[str] = list(cols[3])
        self.urgency: list[str] = list(cols[4])
        self.owner = np.array(cols[5], dtype=np.int64)
        self.state = np.array(cols[6], dtype=np.int8)
        times = [np.array(c, dtype=np.int64) for c in cols[7:13]]
        self.created, self.registered, self.dispatched, self.handled, self.closed, self.due = times
        self.closed_on_time = np.array(cols[13], dtype=bool)
        self.rework = np.array(cols[14], dtype=np.int64)
        self.satisfaction = np.array(cols[15], dtype=np.int64)

    def __len__(self) -> int:
        return len(self.id)

    def times(self) -> list[np.ndarray]:
        return [self.created, self.registered, self.dispatched, self.handled, self.closed, self.due]


def read_ids(case_ids: list[int]) -> Columns:
    """These cases (any that no longer exist are simply missing)."""
    rows: list[tuple[Any, ...]] = []
    sql = select_sql()
    with connection.cursor() as cursor:
        for i in range(0, len(case_ids), 1000):
            part = case_ids[i:i + 1000]
            cursor.execute(f"{sql} WHERE id IN ({', '.join(['%s'] * len(part))}) ORDER BY id", part)
            rows += cursor.fetchall()
    return Columns(rows)


def read_after(last: int, limit: int, *, where: str = "", params: Sequence[Any] = ()) -> Columns:
    """The next ``limit`` cases with id > ``last`` (an index range scan); ``where``: an extra
    SQL condition (constants and ``%s`` for ``params``)."""
    extra = f"AND {where} " if where else ""
    with connection.cursor() as cursor:
        cursor.execute(f"{select_sql()} WHERE id > %s {extra}ORDER BY id LIMIT %s",
                       [last, *params, limit])
        return Columns(cursor.fetchall())
