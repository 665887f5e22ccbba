"""Keeping the dispute rollups exact: in the action's own transaction, and the full rebuild.

Every change of a dispute appends a ``DisputeEvent`` (``workflow.record_event``, the only
writer of the timeline apart from bulk loads). Right after the entry, in the same
transaction and under the dispute's row lock, ``refresh`` recomputes the dispute's fact from
the row just saved, subtracts the stored fact from the rollups and adds the new one (an
upsert of increments per row, in key order so that two transactions never wait on each
other crosswise). A rolled-back action rolls its rollup change back with it; there is no
watermark and nothing to miss or count twice. Disputes are a few per grid a month, so the
dozen upserts per action are cheap, unlike the case intake (ADR 0007, 0008).

Bulk loads (the demo builder) write disputes and timelines without the workflow and end with
``rebuild``; ``civicgrid dispute-rollups check`` compares the rollups with a brute-force count.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from types import SimpleNamespace

from django.db import connection

from civicgrid.core.transactions import write_transaction
from civicgrid.mediation.facts import DISPUTE_COLUMNS, Key, contributions, delta, fact_of, same
from civicgrid.mediation.models import Dispute, DisputeFact, DisputeRollup
from civicgrid.mediation.rollup_models import MEASURES

KEY_COLUMNS = ("grain", "period", "area_level", "area", "level", "dispute_type", "mediator_id")


CHUNK = 500  # rows per statement on SQLite (22 columns × 500 values, well under its limit)


def _upsert_sql(rows: int) -> str:
    table = connection.ops.quote_name(DisputeRollup._meta.db_table)
    columns = KEY_COLUMNS + MEASURES
    one = "(" + ", ".join(["%s"] * len(columns)) + ")"
    update = ", ".join(f"{m} = {table}.{m} + excluded.{m}" for m in MEASURES)
    return (f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608 - names from the model
            f"VALUES {', '.join([one] * rows)} "
            f"ON CONFLICT ({', '.join(KEY_COLUMNS)}) DO UPDATE SET {update}")


PG_TYPES = {"grain": "text", "period": "date", "area_level": "int", "area": "text",
            "level": "text", "dispute_type": "text"}  # the rest: bigint


def _upsert_arrays_sql() -> str:
    """PostgreSQL: the rows as one array per column (22 parameters however many rows: a long
    list of placeholders costs psycopg more to split than the database to run)."""
    table = connection.ops.quote_name(DisputeRollup._meta.db_table)
    columns = KEY_COLUMNS + MEASURES
    arrays = ", ".join(f"%s::{PG_TYPES.get(c, 'bigint')}[]" for c in columns)
    update = ", ".join(f"{m} = {table}.{m} + excluded.{m}" for m in MEASURES)
    return (f"INSERT INTO {table} ({', '.join(columns)}) SELECT * FROM unnest({arrays}) "  # noqa: S608 - names from the model
            f"ON CONFLICT ({', '.join(KEY_COLUMNS)}) DO UPDATE SET {update}")


def apply(changes: dict[Key, dict[str, int]]) -> None:
    """Add the changes to the rollups, in key order, each key once per statement; rows left at
    zero stay: a later change reuses them."""
    rows = [(*key, *(values.get(m, 0) for m in MEASURES)) for key, values in sorted(changes.items())]
    arrays = connection.vendor == "postgresql"
    size = CHUNK * 20 if arrays else CHUNK
    with connection.cursor() as cursor:
        for start in range(0, len(rows), size):
            chunk = rows[start:start + size]
            if arrays:
                cursor.execute(_upsert_arrays_sql(), [list(column) for column in zip(*chunk, strict=True)])
            else:
                cursor.execute(_upsert_sql(len(chunk)), [v for row in chunk for v in row])


def refresh(dispute: Dispute) -> bool:
    """Bring the rollups up to ``dispute`` as saved (call inside its write transaction, with
    the row locked or new). Answers whether anything changed."""
    new = fact_of(dispute)
    old = DisputeFact.objects.filter(pk=dispute.pk).first()
    if same(old, new):
        return False
    apply(delta(old, new))
    new.save(force_insert=old is None)
    return True


@dataclass
class RebuildReport:
    disputes: int
    rows: int

    def __str__(self) -> str:
        return f"纠纷统计重建完成：纠纷 {self.disputes} 件，汇总行 {self.rows} 行"


def rebuild(*, chunk: int = 5000) -> RebuildReport:
    """Recompute every fact and rollup row from the disputes (one transaction)."""
    with write_transaction():
        if connection.vendor == "postgresql":  # the actions wait; nothing changes meanwhile
            table = connection.ops.quote_name(Dispute._meta.db_table)
            with connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {table} IN SHARE MODE")
        DisputeFact.objects.all().delete()
        DisputeRollup.objects.all().delete()
        sums: dict[Key, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        count, last = 0, 0
        while True:
            rows = list(Dispute.objects.filter(pk__gt=last).order_by("pk")
                        .values_list(*DISPUTE_COLUMNS)[:chunk])
            if not rows:
                break
            facts = [fact_of(SimpleNamespace(**dict(zip(DISPUTE_COLUMNS, r, strict=True))))
                     for r in rows]
            DisputeFact.objects.bulk_create(facts, batch_size=1000)
            for fact in facts:
                for key, values in contributions(fact).items():
                    for m, v in values.items():
                        sums[key][m] += v
            count, last = count + len(rows), rows[-1][0]
        apply(sums)  # into empty tables: plain inserts, without the ORM's per-field work
    return RebuildReport(disputes=count, rows=len(sums))
