"""Keeping the rollups exact: the fold worker, and the full rebuild.

**Fold** (``civicgrid rollups fold [--every N]``). Intake and the workflow write nothing for
the command centre: every case change appends a ``cases.CaseEvent`` in its own transaction,
and the worker folds the timeline into the rollups afterwards. A pass

1. reads the events above the watermark (a batch, in id order) and those in the remembered
   gaps — ids below the watermark not seen yet (on PostgreSQL a sequence hands out ids
   before commit, so id 10 can commit after id 11; a rolled-back id never appears);
2. recomputes the fact of every case those events touch from the committed case row
   (``facts.py``) — so folding a case twice, or an event after a later one, changes nothing;
3. in one short transaction, if no other pass moved the watermark meanwhile: subtracts each
   case's stored fact from the rollups and adds the new one (upsert of increments), stores
   the facts, the new watermark and the gaps.

A case read after its event was seen carries that change; a change whose event commits later
has an id above the new watermark or inside a gap, so a later pass folds it. A gap is given
up (its ids were rolled back) once it is older than ``CIVICGRID_STATS_FOLD_GAP_SECONDS``
(600 s): longer than any case transaction. Bulk loads (imports, the demo builder) also write
events and are folded the same way; after a load of millions ``rollups rebuild`` is faster.

**Rebuild** recomputes every fact (``facts.compute`` over chunks of 100,000 cases read as
arrays: the same definition the fold uses), writes them with binary COPY (PostgreSQL) /
``executemany`` (SQLite), sums them into the rollup rows as arrays as well
(``rollup_arrays``: what ``cuts.contributions`` says per fact) and writes those, and sets the watermark to the newest
event id (taken before the facts are read, so nothing is lost).
"""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Min
from django.utils import timezone

from civicgrid.cases.imports.loader import (
    Background,
    Table,
    collector_paused,
    indexes_rebuilt,
    large_cache,
    rollback_journal,
)
from civicgrid.cases.models import CaseEvent
from civicgrid.core.idruns import missing_runs
from civicgrid.core.transactions import write_transaction
from civicgrid.stats import conf, cuts
from civicgrid.stats.fact_columns import read_after
from civicgrid.stats.facts import (
    FACT_FIELDS,
    Reference,
    compute,
    facts_for,
    lead_departments_between,
    same,
)
from civicgrid.stats.models import MEASURES, CaseFact, FoldState, Rollup
from civicgrid.stats.rollup_arrays import Sums

STATE_NAME = "cases"
COLUMNS = ["cut", "grain", "level", "period", "area", *cuts.DIMS]


@dataclass
class FoldReport:
    events: int = 0
    cases: int = 0
    changed: int = 0
    watermark: int = 0
    gaps: list[list[float]] = field(default_factory=list)
    more: bool = False
    conflict: bool = False

    def __str__(self) -> str:
        return (f"事件记录 {self.events} 条，涉及事件 {self.cases} 件，汇总变化 {self.changed} 件；"
                f"水位 {self.watermark}，待确认编号段 {len(self.gaps)}")


def _state() -> FoldState:
    state, _ = FoldState.objects.get_or_create(name=STATE_NAME)
    return state


def _apply(changes: dict[cuts.Key, dict[str, int]]) -> None:
    """Add the changes to the rollups: one upsert of increments per key."""
    if not changes:
        return
    table = connection.ops.quote_name(Rollup._meta.db_table)
    cols = COLUMNS + list(MEASURES)
    update = ", ".join(f"{m} = {table}.{m} + excluded.{m}" for m in MEASURES)
    key = ", ".join(["cut", "grain", "period", "area", *cuts.DIMS])
    sql = (f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join(['%s'] * len(cols))}) "  # noqa: S608
           f"ON CONFLICT ({key}) DO UPDATE SET {update}")
    rows = [list(k) + [v.get(m, 0) for m in MEASURES] for k, v in sorted(changes.items())]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def fold(*, batch: int | None = None, gap_seconds: int | None = None) -> FoldReport:
    """One pass of the fold worker (see the module text)."""
    batch = batch or conf.fold_batch()
    horizon = gap_seconds if gap_seconds is not None else conf.fold_gap_seconds()
    state = _state()
    watermark, gaps = state.watermark, [list(g) for g in state.gaps]
    pairs: list[tuple[int, int]] = []
    for low, high, _noticed in gaps:
        pairs += list(CaseEvent.objects.filter(id__gte=low, id__lte=high).values_list("id", "case_id"))
    fresh = list(CaseEvent.objects.filter(id__gt=watermark).order_by("id")
                 .values_list("id", "case_id")[:batch])
    pairs += fresh
    seen = sorted(i for i, _ in pairs)
    now = time.time()
    new_gaps: list[list[float]] = []
    for low, high, noticed in gaps:
        if now - noticed <= horizon:
            new_gaps += [[a, b, noticed] for a, b in missing_runs(int(low), int(high), seen)]
    new_watermark = fresh[-1][0] if fresh else watermark
    new_gaps += [[a, b, now] for a, b in missing_runs(watermark + 1, new_watermark, seen)]
    case_ids = sorted({c for _, c in pairs})
    report = FoldReport(events=len(pairs), cases=len(case_ids), watermark=new_watermark,
                        gaps=new_gaps, more=len(fresh) >= batch)
    new_facts = facts_for(case_ids)
    with write_transaction():
        locked = FoldState.objects.select_for_update().get(pk=state.pk)
        if locked.watermark != watermark or locked.gaps != state.gaps:
            report.conflict, report.more = True, True  # another pass got there first
            return report
        old_facts = CaseFact.objects.in_bulk(case_ids)
        changes: dict[cuts.Key, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        changed_new, gone = [], []
        for case_id in case_ids:
            old, new = old_facts.get(case_id), new_facts.get(case_id)
            if same(old, new):
                continue
            cuts.delta(old, new, changes)
            report.changed += 1
            if new is None:
                gone.append(case_id)
            else:
                changed_new.append(new)
        _apply(changes)
        if gone:
            CaseFact.objects.filter(case_id__in=gone).delete()
        if changed_new:
            CaseFact.objects.filter(case_id__in=[f.case_id for f in changed_new]).delete()
            CaseFact.objects.bulk_create(changed_new, batch_size=1000)
        locked.watermark, locked.gaps, locked.folded_at = new_watermark, new_gaps, timezone.now()
        locked.save(update_fields=["watermark", "gaps", "folded_at"])
    return report


def fold_all(**kwargs: int) -> FoldReport:
    """Fold until the timeline is caught up (tests, and after a load)."""
    total = FoldReport()
    while True:
        report = fold(**kwargs)
        total.events += report.events
        total.cases += report.cases
        total.changed += report.changed
        total.watermark, total.gaps = report.watermark, report.gaps
        if not report.more:
            return total


def _store(table: Table, rows: list[tuple[object, ...]]) -> Background:
    """Write the rows as the import does (binary COPY / sqlite3 executemany) in a helper
    thread on this connection; the caller joins before it uses the database again."""
    def work(cursor: object) -> None:
        if connection.vendor == "postgresql":
            table.copy(cursor, rows)
        else:
            table.insert(cursor, rows)

    return Background(work)


@dataclass
class RebuildReport:
    cases: int
    rows: int
    watermark: int

    def __str__(self) -> str:
        return f"重建完成：事件 {self.cases} 件，汇总行 {self.rows} 行，水位 {self.watermark}"


def rebuild(*, chunk: int = 100_000) -> RebuildReport:
    """Recompute every fact and every rollup row (one transaction; see the module text). On
    SQLite under a rollback journal (``loader.rollback_journal``, as the scale load): in WAL
    mode a transaction of tens of millions of rows grows the log by gigabytes."""
    with rollback_journal(), write_transaction():
        state = FoldState.objects.select_for_update().filter(name=STATE_NAME).first() or _state()
        watermark = CaseEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
        # an event below the watermark may still be uncommitted (PostgreSQL): the next pass
        # re-reads the ids of the last gap horizon once (folding again changes nothing)
        since = timezone.now() - dt.timedelta(seconds=conf.fold_gap_seconds())
        recent = CaseEvent.objects.filter(at__gte=since).aggregate(low=Min("id"))["low"]
        CaseFact.objects.all().delete()
        Rollup.objects.all().delete()
        count, last, ref, sums = 0, 0, Reference(), Sums()
        facts = Table(CaseFact, FACT_FIELDS, timezone.now())
        with collector_paused(), large_cache():
            while len(cols := read_after(last, chunk)):
                first, last = int(cols.id[0]), int(cols.id[-1])
                computed = compute(cols, lead_departments_between(first, last), ref)
                pending = _store(facts, computed.rows())
                sums.add(computed)  # while the facts are being written
                pending.join()
                count += len(cols)
            table = Table(Rollup, COLUMNS + list(MEASURES), timezone.now())
            with indexes_rebuilt([Rollup], unique=True):  # the rows are unique: made so
                pending = None
                for rows in sums.rows():  # the next batch is made while the last is written
                    if pending is not None:
                        pending.join()
                    pending = _store(table, rows)
                if pending is not None:
                    pending.join()
        qn = connection.ops.quote_name
        with connection.cursor() as cursor:
            # millions of new rows: give the planner fresh statistics at once (autovacuum
            # would only get to it later, and the KPI reads are planned on them)
            for model in (CaseFact, Rollup):
                cursor.execute(f"ANALYZE {qn(model._meta.db_table)}")
        # events committed during the rebuild (PostgreSQL) are folded again: harmless
        state.watermark = watermark
        state.gaps = [[recent, watermark, time.time()]] if recent and recent <= watermark else []
        state.rebuilt_at = state.folded_at = timezone.now()
        state.save()
        rows = Rollup.objects.count()
    return RebuildReport(cases=count, rows=rows, watermark=watermark)
