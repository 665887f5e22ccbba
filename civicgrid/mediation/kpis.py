"""Dispute KPIs, exact counts over the disputes a user may see (issue #6, DESIGN.md §3).

排查数 = disputes registered (found by screening or reported); 受理数 = accepted; 调解成功数 =
resolved with an agreement; 化解率 = 调解成功数 / 受理数; 按期化解率 = resolved within the
mediation deadline of the level that resolved it / 调解成功数. Cut by level, type, township,
village or mediator. Per level (``level_stats``): accepted there (a dispute escalated from the
village counts at the village and at the township), settled there, and sent up from there;
the village row's rate is the "小事不出村" rate.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Substr

from civicgrid.accounts.models import User
from civicgrid.areas.models import Area
from civicgrid.mediation.models import LEVEL_ORDER, Dispute, DisputeType, Level
from civicgrid.mediation.selectors import disputes_visible_to

CUTS = {"level": "level", "type": "dispute_type", "township": "township", "village": "village",
        "mediator": "mediator_id"}


@dataclass(frozen=True)
class KpiRow:
    key: str
    label: str
    screened: int  # 排查数
    accepted: int  # 受理数
    resolved: int  # 调解成功数
    resolved_on_time: int

    @property
    def resolution_rate(self) -> float | None:  # 化解率
        return self.resolved / self.accepted if self.accepted else None

    @property
    def on_time_rate(self) -> float | None:  # 按期化解率
        return self.resolved_on_time / self.resolved if self.resolved else None


@dataclass(frozen=True)
class LevelRow:
    level: str
    label: str
    accepted: int  # accepted while at this level (escalated ones count at each level)
    resolved: int  # settled at this level
    escalated: int  # sent up from this level

    @property
    def resolution_rate(self) -> float | None:
        return self.resolved / self.accepted if self.accepted else None


def _scoped(user: User | None, since: dt.datetime | None, until: dt.datetime | None,
            area: str | None = None) -> QuerySet[Dispute]:
    qs = disputes_visible_to(user)
    if since is not None:
        qs = qs.filter(created_at__gte=since)
    if until is not None:
        qs = qs.filter(created_at__lt=until)
    if area:
        qs = qs.filter(area_code__startswith=area)
    return qs


_COUNTS = {
    "screened": Count("id"),
    "accepted": Count("id", filter=Q(accepted_at__isnull=False)),
    "resolved": Count("id", filter=Q(resolved_at__isnull=False)),
    "resolved_on_time": Count("id", filter=Q(resolved_at__isnull=False, resolved_on_time=True)),
}


def dispute_kpis(user: User | None, *, by: str | None = None, since: dt.datetime | None = None,
                 until: dt.datetime | None = None, area: str | None = None) -> list[KpiRow]:
    """One row for the whole scope (``by=None``) or one per value of the cut."""
    qs = _scoped(user, since, until, area)
    if by is None:
        totals = qs.aggregate(**_COUNTS)
        return [KpiRow("all", "合计", **totals)]
    if by not in CUTS:
        raise ValueError(by)
    qs = qs.annotate(township=Substr("area_code", 1, 9), village=Substr("area_code", 1, 12))
    rows = list(qs.order_by().values(CUTS[by]).annotate(**_COUNTS).order_by(CUTS[by]))
    if by == "level":  # village, township, county — the way disputes go up
        rows.sort(key=lambda r: LEVEL_ORDER.index(Level(r["level"])))
    labels = _labels(by, [r[CUTS[by]] for r in rows])
    return [KpiRow(str(r[CUTS[by]] if r[CUTS[by]] is not None else ""),
                   labels.get(r[CUTS[by]], "（未指定）"),
                   r["screened"], r["accepted"], r["resolved"], r["resolved_on_time"])
            for r in rows]


def _labels(by: str, keys: list[object]) -> dict[object, str]:
    if by == "level":
        return {k: Level(k).label for k in keys if k}
    if by == "type":
        return {k: DisputeType(k).label for k in keys if k}
    if by in ("township", "village"):
        return dict(Area.objects.filter(code__in=[k for k in keys if k]).values_list("code", "name"))
    ids = [k for k in keys if k is not None]
    return {u.pk: u.display_name or u.username for u in User.objects.filter(pk__in=ids)}


def visited(level: str) -> Q:
    """Disputes that were at ``level`` at some time (levels only go up, one step at a time)."""
    i = LEVEL_ORDER.index(Level(level))
    return (Q(start_level__in=[lv.value for lv in LEVEL_ORDER[:i + 1]])
            & Q(level__in=[lv.value for lv in LEVEL_ORDER[i:]]))


def level_stats(user: User | None, *, since: dt.datetime | None = None,
                until: dt.datetime | None = None, area: str | None = None) -> list[LevelRow]:
    qs = _scoped(user, since, until, area).filter(accepted_at__isnull=False)
    counts: dict[str, Count] = {}
    for lv in LEVEL_ORDER:
        counts[f"{lv}_accepted"] = Count("id", filter=visited(lv))
        counts[f"{lv}_resolved"] = Count("id", filter=Q(level=lv, resolved_at__isnull=False))
        later = [x.value for x in LEVEL_ORDER[LEVEL_ORDER.index(lv) + 1:]]
        counts[f"{lv}_escalated"] = Count("id", filter=visited(lv) & Q(level__in=later))
    totals = qs.aggregate(**counts)
    return [LevelRow(lv.value, lv.label, totals[f"{lv}_accepted"], totals[f"{lv}_resolved"],
                     totals[f"{lv}_escalated"]) for lv in LEVEL_ORDER]
