"""``civicgrid dispute-rollups check``: the rollups against a brute-force count over the
disputes (SQL GROUP BY on the dispute rows with the filters of ``facts.measure_q``, not the
stored facts), spread to every area level and grain and compared row by row."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db.models import Count, Value
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from civicgrid.mediation.facts import Key, keys_of, measure_q
from civicgrid.mediation.models import Dispute, DisputeRollup
from civicgrid.mediation.rollup_models import MEASURES
from civicgrid.mediation.rollups import KEY_COLUMNS
from civicgrid.stats.check import CheckReport  # the same report as the case rollups' check


def expected(since: dt.date | None = None) -> dict[Key, dict[str, int]]:
    tz = timezone.get_current_timezone()
    qs = Dispute.objects.order_by()
    if since is not None:
        qs = qs.filter(created_at__gte=timezone.make_aware(dt.datetime.combine(since, dt.time()), tz))
    rows = (qs.annotate(day=TruncDate("created_at", tzinfo=tz),
                        mediator_or_0=Coalesce("mediator_id", Value(0)))
            .values("day", "area_code", "level", "dispute_type", "mediator_or_0")
            .annotate(**{m: Count("id", filter=measure_q(m)) for m in MEASURES}))
    out: dict[Key, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for r in rows:
        for key in keys_of(r["day"], r["area_code"], r["level"], r["dispute_type"], r["mediator_or_0"]):
            for m in MEASURES:
                out[key][m] += r[m]
    return out


def check(*, since: dt.date | None = None) -> CheckReport:
    want = expected(since)
    qs = DisputeRollup.objects.all()
    if since is not None:
        qs = qs.filter(period__gte=since)
    have = {tuple(r[c] for c in KEY_COLUMNS): {m: r[m] for m in MEASURES}
            for r in qs.values(*KEY_COLUMNS, *MEASURES)}
    report = CheckReport(rows=len(have))
    zero = dict.fromkeys(MEASURES, 0)
    for key in sorted(set(want) | set(have), key=str):
        if since is not None and key[1] < since:
            continue  # a month or year row that begins before ``since`` holds older disputes too
        w, h = want.get(key, zero), have.get(key, zero)
        bad = {m: (h[m], w.get(m, 0)) for m in MEASURES if h[m] != w.get(m, 0)}
        if bad:
            report.differences.append(
                f"{key}: " + "，".join(f"{m} 汇总 {a} / 逐件 {b}" for m, (a, b) in bad.items()))
    return report
