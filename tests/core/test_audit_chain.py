"""The hash-chained audit log: append-only in the ORM; raw tampering is found by verify_chain."""

from __future__ import annotations

import pytest
from django.db import connection

from civicgrid.core import audit
from civicgrid.core.models import AppendOnlyError, AuditEntry

pytestmark = pytest.mark.django_db


def _three() -> list[AuditEntry]:
    return [audit.record(actor=None, actor_name="t_test", action="test.event", target=f"x:{i}",
                         data={"i": i}) for i in range(3)]


def _raw(sql: str, params: list) -> None:  # type: ignore[type-arg]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_chain_links_each_entry_to_the_previous(db) -> None:  # type: ignore[no-untyped-def]
    a, b, c = _three()
    assert b.prev_hash == a.hash and c.prev_hash == b.hash
    assert b.seq == a.seq + 1 and c.seq == b.seq + 1


def test_an_intact_chain_verifies(db) -> None:  # type: ignore[no-untyped-def]
    _three()
    report = audit.verify_chain()
    assert report.ok and report.first_bad_seq is None
    assert report.checked == AuditEntry.objects.count()


def test_the_model_refuses_updates_and_deletes(db) -> None:  # type: ignore[no-untyped-def]
    entry = _three()[0]
    entry.target = "changed"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()


def test_a_row_edited_in_sql_is_found(db) -> None:  # type: ignore[no-untyped-def]
    _a, b, _c = _three()
    _raw("UPDATE core_auditentry SET target = %s WHERE seq = %s", ["x:forged", b.seq])
    report = audit.verify_chain()
    assert not report.ok and report.first_bad_seq == b.seq
    assert "篡改" in report.reason


def test_a_row_edited_together_with_its_own_hash_is_found_at_the_next_row(db) -> None:  # type: ignore[no-untyped-def]
    _a, b, c = _three()
    _raw("UPDATE core_auditentry SET data = %s, hash = %s WHERE seq = %s",
         ['{"i": 99}', "f" * 64, b.seq])
    report = audit.verify_chain()
    assert not report.ok and report.first_bad_seq in (b.seq, c.seq)


def test_a_deleted_row_is_found(db) -> None:  # type: ignore[no-untyped-def]
    _a, b, c = _three()
    _raw("DELETE FROM core_auditentry WHERE seq = %s", [b.seq])
    report = audit.verify_chain()
    assert not report.ok and report.first_bad_seq == c.seq
