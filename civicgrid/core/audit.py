"""The append-only, hash-chained audit log: ``record`` appends, ``verify_chain`` checks."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from civicgrid.core.models import AuditEntry

GENESIS = "0" * 64


def _digest(prev_hash: str, seq: int, at: str, actor: str, action: str, target: str,
            data: dict[str, Any], ip: str) -> str:
    payload = json.dumps(
        [prev_hash, seq, at, actor, action, target, data, ip],
        ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _entry_digest(entry: AuditEntry) -> str:
    return _digest(entry.prev_hash, entry.seq, entry.at.isoformat(), entry.actor_name,
                   entry.action, entry.target, entry.data, entry.ip)


def record(*, actor: Any, action: str, target: str = "", data: dict[str, Any] | None = None,
           ip: str = "", actor_name: str | None = None) -> AuditEntry:
    """Append one entry. Runs in (or opens) a transaction and locks the chain's tail."""
    with transaction.atomic():
        last = AuditEntry.objects.select_for_update().order_by("-seq").first()
        seq = 1 if last is None else last.seq + 1
        prev_hash = GENESIS if last is None else last.hash
        user = actor if getattr(actor, "pk", None) else None
        name = actor_name if actor_name is not None else (user.get_username() if user else "")
        clean = json.loads(json.dumps(data or {}, ensure_ascii=False, default=str))
        entry = AuditEntry(
            seq=seq, at=timezone.now().replace(microsecond=timezone.now().microsecond),
            actor=user, actor_name=name, action=action, target=target[:200], data=clean,
            ip=ip[:64], prev_hash=prev_hash,
        )
        entry.hash = _entry_digest(entry)
        entry.save()
        return entry


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    reason: str = ""


def verify_chain() -> ChainReport:
    """Recompute every hash from the stored rows; the first mismatch or gap is reported."""
    prev_hash = GENESIS
    expected_seq = 1
    checked = 0
    for entry in AuditEntry.objects.order_by("seq").iterator(chunk_size=2000):
        if entry.seq != expected_seq:
            return ChainReport(False, checked, entry.seq, f"序号不连续：应为 {expected_seq}")
        if entry.prev_hash != prev_hash:
            return ChainReport(False, checked, entry.seq, "前一条哈希不符（记录被删除或篡改）")
        if _entry_digest(entry) != entry.hash:
            return ChainReport(False, checked, entry.seq, "本条内容与哈希不符（记录被篡改）")
        prev_hash = entry.hash
        expected_seq += 1
        checked += 1
    return ChainReport(True, checked)
