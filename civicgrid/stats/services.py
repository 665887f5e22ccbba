"""Writes of the stats app besides the rollups (``rollups.py``): the audit of large exports."""

from __future__ import annotations

from typing import Any

from civicgrid.accounts.models import User
from civicgrid.core import audit
from civicgrid.stats import conf


def record_export(*, actor: User | None, kind: str, rows: int, params: dict[str, Any], ip: str = "") -> bool:
    """An export of at least ``CIVICGRID_EXPORT_AUDIT_ROWS`` rows goes to the audit log."""
    if rows < conf.export_audit_rows():
        return False
    audit.record(actor=actor, action="stats.export", target=f"export:{kind}",
                 data={"rows": rows, "params": params}, ip=ip)
    return True
