"""Writes of the stats app besides the rollups (``rollups.py``): publishing an assessment, the
audit of large exports."""

from __future__ import annotations

import json
from typing import Any

from django.db import IntegrityError
from django.utils import timezone

from civicgrid.accounts.models import User
from civicgrid.accounts.scope import can
from civicgrid.core import audit
from civicgrid.core.errors import Conflict, PermissionDenied, ValidationFailed
from civicgrid.core.transactions import write_transaction
from civicgrid.stats import assessment, conf
from civicgrid.stats.models import PublishedAssessment
from civicgrid.stats.selectors import KpiQuery


def record_export(*, actor: User | None, kind: str, rows: int, params: dict[str, Any], ip: str = "") -> bool:
    """An export of at least ``CIVICGRID_EXPORT_AUDIT_ROWS`` rows goes to the audit log."""
    if rows < conf.export_audit_rows():
        return False
    audit.record(actor=actor, action="stats.export", target=f"export:{kind}",
                 data={"rows": rows, "params": params}, ip=ip)
    return True


def publish_assessment(*, actor: User | None, scheme_id: int, query: KpiQuery) -> PublishedAssessment:
    """Freeze the scheme's score table for the query's period and area; once per period."""
    if actor is not None and not can(actor, "assessment.publish"):
        raise PermissionDenied("您无权发布考核结果。", code="assessment_not_permitted")
    if len(query.prefixes) != 1:
        raise ValidationFailed("请选择一个区域后发布。", code="scope_required", fields={"area": ["必填"]})
    scheme = assessment.scheme_for(scheme_id)
    scope = query.prefixes[0]
    try:
        with write_transaction():
            if scheme.published.filter(scope=scope, period_start=query.period.start,
                                       period_end=query.period.end).exists():
                raise Conflict("该期考核已发布，发布后不能更改。", code="already_published")
            table = assessment.score_table(scheme, query)
            published = PublishedAssessment.objects.create(
                scheme=scheme, scope=scope, period_start=query.period.start,
                period_end=query.period.end, table=json.loads(json.dumps(table, default=str)),
                published_at=timezone.now(), published_by=actor if getattr(actor, "pk", None) else None)
            audit.record(actor=actor, action="assessment.publish", target=f"assessment:{published.pk}",
                         data={"scheme": scheme.name, "scope": scope, "start": query.period.start,
                               "end": query.period.end, "units": len(table["rows"])})
    except IntegrityError as exc:  # a second publisher at the same moment
        raise Conflict("该期考核已发布，发布后不能更改。", code="already_published") from exc
    return published
