"""考核: a scheme's score table for a period — per township or department, each indicator's
raw figure (numerator, denominator, value), its score and the total, ranked.

Score of an indicator = weight × min(1, value / target) when higher is better, weight ×
min(1, target / value) when lower is better (a value of 0 then scores in full); no data (no
denominator) scores 0 and is shown as such. Published tables are frozen copies
(``services.publish_assessment``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet

from civicgrid.accounts.models import OrgUnit, User
from civicgrid.areas.models import Area
from civicgrid.core.errors import NotFound, ValidationFailed
from civicgrid.stats import kpis
from civicgrid.stats.models import AssessedUnit, AssessmentScheme, PublishedAssessment
from civicgrid.stats.selectors import KpiQuery, grouped, scope_prefixes


def schemes() -> QuerySet[AssessmentScheme]:
    return AssessmentScheme.objects.filter(is_active=True).prefetch_related("indicators")


def scheme_for(scheme_id: int) -> AssessmentScheme:
    scheme = schemes().filter(pk=scheme_id).first()
    if scheme is None:
        raise NotFound("考核方案不存在。", code="scheme_not_found")
    return scheme


def indicator_score(kpi: kpis.Kpi, value: float | None, weight: float, target: float) -> float:
    if value is None:
        return 0.0
    if kpi.higher_is_better:
        share = 1.0 if target <= 0 else min(1.0, value / target)
    else:
        share = 1.0 if value <= 0 else min(1.0, target / value)
    return round(weight * max(share, 0.0), 2)


def score_table(scheme: AssessmentScheme, q: KpiQuery) -> dict[str, Any]:
    """The table as shown, exported and published (plain JSON values)."""
    names: dict[Any, str]
    if scheme.unit == AssessedUnit.TOWNSHIP:
        units = {r["key"]: r for r in grouped(q, group_area=9)}
        names = dict(Area.objects.filter(code__in=list(units)).values_list("code", "name"))
    else:
        units = {r["key"]: r for r in grouped(q, group_dim="department_id") if r["key"]}
        names = dict(OrgUnit.objects.filter(pk__in=list(units)).values_list("pk", "name"))
    indicators = []
    for ind in scheme.indicators.all():
        kpi = kpis.get(ind.kpi)
        if kpi is None or kpi.source is not None:
            raise ValidationFailed(f"考核指标 {ind.kpi} 不能按单位计算。", code="invalid_indicator")
        indicators.append((ind, kpi))
    table = []
    for key, sums in units.items():
        cells, total = [], 0.0
        for ind, kpi in indicators:
            num = sums[kpi.numerator or ""]
            den = sums[kpi.denominator] if kpi.denominator else None
            value = kpi.value(num, den)
            score = indicator_score(kpi, value, float(ind.weight), ind.target)
            total += score
            cells.append({"kpi": kpi.code, "numerator": num, "denominator": den, "value": value,
                          "score": score})
        table.append({"key": str(key), "name": names.get(key, str(key)), "cells": cells,
                      "total": round(total, 2)})
    table.sort(key=lambda r: (-r["total"], r["key"]))
    for rank, row in enumerate(table, 1):
        row["rank"] = rank
    return {
        "scheme": scheme.name, "unit": scheme.unit,
        "period": {"start": q.period.start.isoformat(), "end": q.period.end.isoformat()},
        "indicators": [{"kpi": kpi.code, "label": kpi.label, "unit": kpi.unit,
                        "weight": float(ind.weight), "target": ind.target} for ind, kpi in indicators],
        "rows": table,
    }


def published_for(user: User | None, scheme: AssessmentScheme) -> QuerySet[PublishedAssessment]:
    """Published tables the user may read: those published for a scope inside his own."""
    prefixes = scope_prefixes(user)
    qs = scheme.published.select_related("published_by")
    if prefixes == ("",):
        return qs
    keep = [p.pk for p in qs if any(p.scope.startswith(prefix) for prefix in prefixes)]
    return qs.filter(pk__in=keep)


def period_label(start: dt.date, end: dt.date) -> str:
    return f"{start:%Y-%m-%d} — {end:%Y-%m-%d}"

