"""Deployment settings of the command centre (environment variables, read when used)."""

from __future__ import annotations

from django.conf import settings

from civicgrid.core.env import env_int, env_str


def fold_gap_seconds() -> int:
    """How long the fold worker keeps re-reading an event id it has not seen (a transaction
    still open, or rolled back) before giving it up. Longer than any case transaction."""
    return getattr(settings, "STATS_FOLD_GAP_SECONDS", None) or env_int(
        "CIVICGRID_STATS_FOLD_GAP_SECONDS", 600)


def fold_batch() -> int:
    return env_int("CIVICGRID_STATS_FOLD_BATCH", 5000)


def kpi_config_path() -> str:
    """A JSON file that overrides KPI labels, targets and parameters (``kpis.configure``)."""
    return env_str("CIVICGRID_KPI_CONFIG", "")


def export_row_limit() -> int:
    return env_int("CIVICGRID_EXPORT_ROW_LIMIT", 50000)


def export_audit_rows() -> int:
    """Exports with at least this many rows are written to the audit log."""
    return env_int("CIVICGRID_EXPORT_AUDIT_ROWS", 1000)
