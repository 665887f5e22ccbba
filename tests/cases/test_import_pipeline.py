"""Bulk import across chunks: a failed chunk leaves the earlier chunks whole and nothing of itself
or of any later chunk (PostgreSQL: two writer connections, committed in order); foreign keys
checked in bulk refuse what the per-row triggers would.

Transactional tests: the import's own connections (PostgreSQL) must see the committed demo city.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.models import Count
from psycopg import errors as pg_errors

from civicgrid.cases.imports import Mapping, import_cases, loader, service
from civicgrid.cases.models import Case, CaseEvent

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("demo_city")]

HEADERS = ["工单编号", "来电时间", "诉求内容", "问题分类", "被反映区/街道", "联系电话"]
SOURCE = "pipeline-test"
postgresql_only = pytest.mark.skipif("connection.vendor != 'postgresql'")


def _csv(refs: list[str], text: str = "路灯不亮") -> io.BytesIO:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADERS)
    for i, ref in enumerate(refs):
        writer.writerow([ref, f"2026/3/{i % 28 + 1} 08:00:00", f"{text} {ref}", "公共设施->路灯不亮",
                         "长胜街道", "13812345678"])
    return io.BytesIO(out.getvalue().encode("utf-8-sig"))


def _import(refs: list[str], actor: object, text: str = "路灯不亮") -> service.ImportResult:
    return import_cases(actor=actor, file=_csv(refs, text), name="p.csv",  # type: ignore[arg-type]
                        mapping=Mapping(source=SOURCE))


def _stored() -> dict[str, int]:
    """source_ref → number of timeline entries of its case."""
    return dict(CaseEvent.objects.filter(case__channel_detail=SOURCE).values("case__source_ref")
                .annotate(n=Count("id")).values_list("case__source_ref", "n"))


INJECT = {
    # a constraint: checked whatever the session does (PostgreSQL keeps the bulk key checks on)
    ("postgresql", "check"): (
        "ALTER TABLE cases_case ADD CONSTRAINT test_injected CHECK (source_ref <> 'F008') NOT VALID",
        "ALTER TABLE cases_case DROP CONSTRAINT test_injected"),
    # a trigger of our own: PostgreSQL's bulk key checks would skip it, so they stay off
    ("postgresql", "trigger"): (
        "CREATE FUNCTION test_injected() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "IF NEW.source_ref = 'F008' THEN RAISE EXCEPTION 'injected failure'; END IF; "
        "RETURN NEW; END $$; CREATE TRIGGER test_injected BEFORE INSERT ON cases_case "
        "FOR EACH ROW EXECUTE FUNCTION test_injected()",
        "DROP TRIGGER test_injected ON cases_case; DROP FUNCTION test_injected()"),
    ("sqlite", "trigger"): (
        "CREATE TRIGGER test_injected BEFORE INSERT ON cases_case WHEN NEW.source_ref = 'F008' "
        "BEGIN SELECT RAISE(ABORT, 'injected failure'); END",
        "DROP TRIGGER test_injected"),
}


@pytest.mark.parametrize("kind", ["check", "trigger"])
def test_a_failed_chunk_keeps_the_earlier_chunks_whole_and_nothing_of_itself_or_later(
        cast, monkeypatch: pytest.MonkeyPatch, kind: str) -> None:
    if (connection.vendor, kind) not in INJECT:
        pytest.skip(f"no {kind} injection on {connection.vendor}")
    monkeypatch.setattr(service, "CHUNK", 3)  # 12 rows: chunks F001–3, F004–6, F007–9, F010–12
    refs = [f"F{i:03}" for i in range(1, 13)]
    inject, remove = INJECT[(connection.vendor, kind)]
    with connection.cursor() as cursor:
        cursor.execute(inject)
    try:
        bulk = loader.bulk_checks_allowed([loader.case_table(dt.datetime.now(dt.UTC))])
        assert bulk == (connection.vendor == "postgresql" and kind == "check")
        with pytest.raises(DatabaseError):
            _import(refs, cast["center"])
        # the first two chunks wholly (each case with its timeline entry), nothing of the third
        # (which failed) nor of the fourth (in flight on the other connection: rolled back)
        assert _stored() == dict.fromkeys(refs[:6], 1)
        assert Case.objects.filter(channel_detail=SOURCE).count() == 6
    finally:
        with connection.cursor() as cursor:
            cursor.execute(remove)
    again = _import(refs, cast["center"])
    assert (again.created, again.unchanged, again.updated, again.rejected) == (6, 6, 0, [])
    assert _stored() == dict.fromkeys(refs, 1)


def test_chunks_reimport_unchanged_and_update_what_changed(cast, monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    monkeypatch.setattr(service, "CHUNK", 4)
    refs = [f"U{i:03}" for i in range(1, 11)]
    first = _import(refs, cast["center"])
    assert (first.created, first.unchanged) == (10, 0)
    codes = dict(Case.objects.filter(channel_detail=SOURCE).values_list("source_ref", "code"))
    assert len(set(codes.values())) == 10
    again = _import(refs, cast["center"])
    assert (again.created, again.updated, again.unchanged) == (0, 0, 10)
    changed = _import(refs, cast["center"], text="路灯还是不亮")
    assert (changed.created, changed.updated, changed.unchanged) == (0, 10, 0)
    case = Case.objects.get(channel_detail=SOURCE, source_ref="U007")
    assert case.description == "路灯还是不亮 U007" and case.version == 1
    assert codes == dict(Case.objects.filter(channel_detail=SOURCE).values_list("source_ref", "code"))
    update = case.events.get(action="import_update")
    assert update.data["fields"] == ["title", "description"] and update.data["row"] == 8
    assert update.actor_id == cast["center"].pk and update.to_state == case.state
    assert _stored() == dict.fromkeys(refs, 2)


def test_work_order_numbers_holding_the_lookup_separator_reimport_unchanged(cast) -> None:
    refs = ["S1", "S\x1f2", "S3"]  # the keys are looked up as one text split at \x1f
    assert _import(refs, cast["center"]).created == 3
    again = _import(refs, cast["center"])
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert _stored() == dict.fromkeys(refs, 1)


@postgresql_only
def test_bulk_key_checks_refuse_a_missing_key_and_accept_the_batch_own_rows(cast) -> None:
    now = dt.datetime.now(dt.UTC)
    events = loader.event_table(now)
    missing = (Case.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1000
    row = (missing, now, cast["center"].pk, "x", None, "import", "", "reported", "", "{}")
    with pytest.raises(pg_errors.ForeignKeyViolation), transaction.atomic(), \
            connection.cursor() as cursor:
        loader.store(cursor.cursor, [(events, [row])], bulk_checks=True)
    # the same key is fine when the batch inserts that case itself
    cases = loader.case_table(now)
    owner = cast["center"].org_unit_id
    case = (missing, "TESTCODE", "hotline", SOURCE, "K1", None, "normal", "t", "d", "", None, None,
            None, "640202", owner, "reported", "", "", "", now, None, now, None, now)
    with transaction.atomic(), connection.cursor() as cursor:
        loader.store(cursor.cursor, [(cases, [case]), (events, [row])], bulk_checks=True)
        cursor.execute("SHOW session_replication_role")
        assert cursor.fetchone()[0] == "origin"  # per-row checks are back for what follows
    assert CaseEvent.objects.get(case_id=missing).action == "import"


@postgresql_only
def test_the_work_order_lookup_reads_the_index_on_a_table_the_planner_thinks_small(cast) -> None:
    """The test table is tiny, so the planner's own choice would be a scan of the whole table:
    the lookup reads the source_ref index all the same, and leaves the setting as it was, both
    inside a caller's transaction and on its own (autocommit)."""
    _import([f"L{i}" for i in range(30)], cast["center"])

    def scans() -> tuple[int, int]:
        with connection.cursor() as cursor:  # this transaction's counts, not yet reported
            cursor.execute("SELECT seq_scan, idx_scan FROM pg_stat_xact_user_tables "
                           "WHERE relid = 'cases_case'::regclass")
            return cursor.fetchone()

    def seqscan() -> str:
        with connection.cursor() as cursor:
            cursor.execute("SHOW enable_seqscan")
            return cursor.fetchone()[0]

    with transaction.atomic():
        before = scans()
        found = service._existing(SOURCE, ["L3", "L7", "missing"])
        after = scans()
        assert seqscan() == "on"
    assert sorted(found) == ["L3", "L7"]
    assert after[0] == before[0] and after[1] > before[1]  # no table scan; index scans
    assert sorted(service._existing(SOURCE, ["L9"])) == ["L9"] and seqscan() == "on"


def test_a_case_code_taken_meanwhile_is_retried_with_new_codes(cast, monkeypatch: pytest.MonkeyPatch
                                                               ) -> None:
    """Case codes are random: one another case holds already fails the chunk's unique index,
    and the chunk is stored again with fresh codes."""
    assert _import(["C1"], cast["center"]).created == 1
    taken = Case.objects.get(channel_detail=SOURCE, source_ref="C1").code
    real, calls = service.new_codes, []

    def codes(count: int) -> list[str]:
        calls.append(count)
        return [taken] * count if len(calls) == 1 else real(count)

    monkeypatch.setattr(service, "new_codes", codes)
    result = _import(["C2", "C3"], cast["center"])
    assert (result.created, len(result.rejected), len(calls)) == (2, 0, 2)
    stored = dict(Case.objects.filter(channel_detail=SOURCE).values_list("source_ref", "code"))
    assert len(set(stored.values())) == 3 and stored["C1"] == taken
    assert _stored() == {"C1": 1, "C2": 1, "C3": 1}
