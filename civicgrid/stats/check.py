"""``civicgrid rollups check``: the rollups against a brute-force count over the cases.

The counts come straight from ``cases.Case`` (SQL GROUP BY on the case columns and the active
lead assignment, not from the stored facts); working hours and on-time verification are
recomputed case by case. Every cut and grain is derived from that and compared row by row.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from civicgrid.cases.models import OPEN_STATES, Assignment, Case, State
from civicgrid.cases.workflow import ACTIVE_ASSIGNMENT
from civicgrid.stats import cuts, kpis
from civicgrid.stats.fact_columns import read_after
from civicgrid.stats.facts import NO_DUE, Reference, compute
from civicgrid.stats.models import MEASURES, Rollup

Fine = tuple[str, dt.date, str, int, str, int]  # grain, day, area, category, channel, department


@dataclass
class CheckReport:
    rows: int = 0
    differences: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        if not self.differences:
            return f"核对一致：{self.rows} 行汇总与逐件统计相同。"
        return f"核对发现 {len(self.differences)} 处不一致（共 {self.rows} 行）。"


def run_for_command(check: Callable[..., CheckReport], since_text: str, write: Callable[[str], Any],
                    what: str) -> None:
    """What ``civicgrid rollups check`` and ``civicgrid dispute-rollups check`` do: read
    ``--since``, run ``check``, print its report and the first differences, and fail the command
    (``CommandError``) on any difference."""
    from django.core.management.base import CommandError

    since = None
    if since_text:
        try:
            since = dt.date.fromisoformat(since_text)
        except ValueError as exc:
            raise CommandError("--since 应为 YYYY-MM-DD 格式的日期。") from exc
    result = check(since=since)
    write(str(result))
    for line in result.differences[:50]:
        write(f"  {line}")
    if result.differences:
        raise CommandError(f"{what}与逐件统计不一致：{len(result.differences)} 处。")


def lead_department() -> Coalesce:
    lead = Assignment.objects.filter(case=OuterRef("pk"), role="lead", state__in=ACTIVE_ASSIGNMENT)
    return Coalesce(Subquery(lead.values("department_id")[:1]), Value(0), output_field=IntegerField())


def _closed() -> Q:
    return Q(state=State.CLOSED, closed_at__isnull=False)


def brute_counts() -> dict[str, tuple[str, Q]]:
    """measure → (date column, which cases count)."""
    at_least = kpis.param("satisfied_at_least")
    return {
        "received": ("created_at", Q()),
        "registered": ("registered_at", Q(registered_at__isnull=False)),
        "handled": ("handled_at", Q(handled_at__isnull=False)),
        "reworked": ("handled_at", Q(handled_at__isnull=False, rework_count__gt=0)),
        "closed": ("closed_at", _closed()),
        "closed_on_time": ("closed_at", _closed() & Q(closed_on_time=True)),
        "handle_count": ("closed_at", _closed() & Q(handled_at__isnull=False)),
        "rated": ("closed_at", _closed() & Q(satisfaction__isnull=False)),
        "satisfied": ("closed_at", _closed() & Q(satisfaction__gte=at_least)),
    }


def _fine(since: dt.date | None) -> dict[Fine, dict[str, int]]:
    tz = timezone.get_current_timezone()
    start = (timezone.make_aware(dt.datetime.combine(since, dt.time()), tz) if since else None)
    fine: dict[Fine, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for measure, (column, q) in brute_counts().items():
        qs = Case.objects.filter(q)
        if start is not None:
            qs = qs.filter(**{f"{column}__gte": start})
        rows = (qs.annotate(day=TruncDate(column, tzinfo=tz), dept=lead_department(),
                            cat=Coalesce("category_id", Value(0)))
                .values("day", "area_code", "cat", "channel", "dept").annotate(n=Count("id"))
                .order_by())
        for r in rows:
            fine[("d", r["day"], r["area_code"], r["cat"], r["channel"], r["dept"])][measure] += r["n"]
    # open cases by deadline day (never limited by --since)
    rows = (Case.objects.filter(state__in=sorted(OPEN_STATES))
            .annotate(day=TruncDate("due_at", tzinfo=tz), dept=lead_department(),
                      cat=Coalesce("category_id", Value(0)))
            .values("day", "area_code", "cat", "channel", "dept").annotate(n=Count("id")).order_by())
    for r in rows:
        fine[("o", r["day"] or NO_DUE, r["area_code"], r["cat"], r["channel"], r["dept"])]["open"] += r["n"]
    # what SQL cannot say: working hours and the verify deadline (the facts' own definition,
    # ``facts.compute``), keyed by the lead department of the subquery above
    _working(fine, start)
    return fine


def _working(fine: dict[Fine, dict[str, int]], start: dt.datetime | None) -> None:
    where, params = f"state = '{State.CLOSED.value}' AND closed_at IS NOT NULL", []
    if start is not None:
        where, params = where + " AND closed_at >= %s", [connection.ops.adapt_datetimefield_value(start)]
    last, ref = 0, Reference()
    while len(cols := read_after(last, 50_000, where=where, params=params)):
        first, last = int(cols.id[0]), int(cols.id[-1])
        depts = dict(Case.objects.filter(_closed(), pk__gte=first, pk__lte=last)
                     .annotate(dept=lead_department()).values_list("pk", "dept"))
        computed = compute(cols, {}, ref)
        days = computed.span.dates
        for i, day, area, cat, channel, seconds, verified in zip(
                cols.id.tolist(), computed.day(cols.closed).tolist(), cols.area, cols.category.tolist(),
                cols.channel, computed.handle_seconds.tolist(), computed.verified.tolist(), strict=True):
            if i not in depts:  # no longer closed since it was read (a live system): not counted
                continue
            values = fine[("d", days[day], area, cat, channel, depts[i])]
            values["handle_seconds"] += seconds
            values["verified_on_time"] += int(verified)


def _derive(fine: dict[Fine, dict[str, int]]) -> dict[cuts.Key, dict[str, int]]:
    out: dict[cuts.Key, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for (grain, day, area, cat, channel, dept), values in fine.items():
        grains = [("o", day)] if grain == "o" else [("d", day), ("m", cuts.month_of(day)),
                                                     ("y", cuts.year_of(day))]
        dims = {"category_id": cat, "channel": channel, "department_id": dept}
        for cut in cuts.CUTS:
            kept = {d: (dims[d] if d in cut.dims else cuts.EMPTY[d]) for d in cuts.DIMS}
            levels = [(n, area[:n]) for n in cut.levels if len(area) >= n] if cut.levels else [
                (len(area), area)]
            for level, code in levels:
                for g, period in grains:
                    key = (cut.name, g, level, period, code, kept["category_id"], kept["channel"],
                           kept["department_id"])
                    for m, v in values.items():
                        out[key][m] += v
    return out


def _in_range(grain: str, period: dt.date, since: dt.date | None) -> bool:
    return since is None or grain == "o" or period >= since


def check(*, since: dt.date | None = None) -> CheckReport:
    expected = {k: v for k, v in _derive(_fine(since)).items() if _in_range(k[1], k[3], since)}
    stored: dict[cuts.Key, dict[str, Any]] = {}
    qs = Rollup.objects.all()
    if since is not None:
        qs = qs.filter(Q(grain="o") | Q(period__gte=since))
    for row in qs.values(*["cut", "grain", "level", "period", "area", *cuts.DIMS, *MEASURES]):
        key = (row["cut"], row["grain"], row["level"], row["period"], row["area"],
               row["category_id"], row["channel"], row["department_id"])
        stored[key] = {m: row[m] for m in MEASURES}
    report = CheckReport(rows=len(stored))
    for key in sorted(set(expected) | set(stored), key=str):
        want = {m: expected.get(key, {}).get(m, 0) for m in MEASURES}
        have = stored.get(key, dict.fromkeys(MEASURES, 0))
        bad = {m: (have[m], want[m]) for m in MEASURES if have[m] != want[m]}
        if bad:
            report.differences.append(
                f"{key}: " + "，".join(f"{m} 汇总 {h} / 逐件 {w}" for m, (h, w) in bad.items()))
    return report
