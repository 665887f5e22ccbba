"""Dispute KPIs from the rollups (issue #6, DESIGN.md §3; definitions in ``facts.py``).

排查数 = disputes registered (found by screening or reported); 受理数 = accepted; 调解成功数 =
resolved with an agreement; 化解率 = 调解成功数 / 受理数; 按期化解率 = resolved within the
mediation deadline of the level that resolved it / 调解成功数. Counted in the period the
dispute was registered, cut by period, area (any level and everything below it), level, type
and mediator, and grouped by any of them. Per level (``level_stats``): accepted there (a
dispute escalated from the village counts at the village and at the township), settled
there, and sent up from there; the village row's rate is the "小事不出村" rate.

A ``DisputeQuery`` holds the area prefixes the reader may see (``query`` narrows them to the
area asked for: an area outside answers 404, like a missing one), the period and the cuts.
The rows read are those of the area level of the deepest prefix (or of the grouping) and the
fewest periods that cover the period (whole years, whole months, loose days).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import QuerySet, Sum
from django.db.models.functions import Substr

from civicgrid.accounts.models import User
from civicgrid.accounts.scope import scope_for
from civicgrid.areas.models import Area
from civicgrid.core.errors import ValidationFailed
from civicgrid.mediation.facts import AREA_LEVELS
from civicgrid.mediation.models import LEVEL_ORDER, DisputeRollup, DisputeType, Level
from civicgrid.mediation.rollup_models import MEASURES
from civicgrid.stats.periods import Period, grains_sql
from civicgrid.stats.selectors import _narrow as narrow_to_area

VIEW = "mediation.view"
CUTS = {"level": "level", "type": "dispute_type", "township": "township", "village": "village",
        "mediator": "mediator_id"}
GROUP_AREA = {"township": 9, "village": 12}


@dataclass(frozen=True)
class DisputeQuery:
    prefixes: tuple[str, ...] = ("",)  # area/grid code prefixes; () = nothing visible
    period: Period | None = None  # None: every period
    level: str = ""
    dispute_type: str = ""
    mediator: int | None = None  # 0: no mediator yet


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


# --- the query -----------------------------------------------------------------------------

def scope_prefixes(user: User | None) -> tuple[str, ...]:
    """The code prefixes of the disputes ``user`` may count (``mediation.view``)."""
    scope = scope_for(user, VIEW)
    if scope.everywhere:
        return ("",)
    found = sorted(scope.area_prefixes | scope.grid_codes)
    return tuple(p for p in found if not any(p != o and p.startswith(o) for o in found))


def _narrow(prefixes: tuple[str, ...], area: str) -> tuple[str, ...]:
    """The prefixes inside ``area`` (the command centre's rule: outside the scope is 404)."""
    if area and (not area.isdigit() or len(area) not in (2, 4, 6, 9, 12, 15)):
        raise ValidationFailed("区域应为 2–12 位区划代码或 15 位网格编码。", code="invalid_area",
                               fields={"area": [area]})
    return narrow_to_area(prefixes, area)


def period_between(since: dt.date | None, until: dt.date | None) -> Period | None:
    """Registered on ``since`` or later and before ``until`` (either may be open)."""
    if since is None and until is None:
        return None
    start = since or dt.date(1950, 1, 1)
    end = (until - dt.timedelta(days=1)) if until else dt.date(2999, 12, 31)
    if end < start:
        raise ValidationFailed("截止日期应晚于起始日期。", code="period_reversed",
                               fields={"until": [str(until)]})
    return Period(start, end)


def checked_cuts(level: str = "", dispute_type: str = "", mediator: str | int | None = None
                 ) -> dict[str, Any]:
    """The level, type and mediator filters, checked (a bad one is a ``ValidationFailed``)."""
    if level and level not in Level.values:
        raise ValidationFailed("调解层级无效。", code="invalid_level", fields={"level": Level.values})
    if dispute_type and dispute_type not in DisputeType.values:
        raise ValidationFailed("纠纷类型无效。", code="invalid_type", fields={"type": DisputeType.values})
    if isinstance(mediator, str):
        if mediator and not (mediator.isdigit() and int(mediator) < 2**63):
            raise ValidationFailed("调解员编号应为整数（无调解员为 0）。", code="invalid_mediator",
                                   fields={"mediator": [mediator]})
        mediator = int(mediator) if mediator else None
    return {"level": level, "dispute_type": dispute_type, "mediator": mediator}


def query(user: User | None, *, since: dt.date | None = None, until: dt.date | None = None,
          area: str = "", level: str = "", dispute_type: str = "",
          mediator: str | int | None = None) -> DisputeQuery:
    return DisputeQuery(prefixes=_narrow(scope_prefixes(user), area.strip()),
                        period=period_between(since, until),
                        **checked_cuts(level, dispute_type, mediator))


# --- rollup reads --------------------------------------------------------------------------

def _area_level(length: int) -> int:
    return next(n for n in AREA_LEVELS if n >= max(length, AREA_LEVELS[0]))


def rollup_where(dq: DisputeQuery, *, group_area: int | None = None) -> tuple[str, list[Any]]:
    """The condition on the dispute rollups that answers ``dq``, as SQL with its parameters
    (one definition for the sums, read as SQL, and the groupings, read through the ORM)."""
    areas, params = [], []
    for prefix in dq.prefixes:
        params.append(_area_level(max(len(prefix), group_area or 0)))
        if prefix:
            areas.append("(area_level = %s AND area LIKE %s)")
            params.append(prefix + "%")
        else:
            areas.append("area_level = %s")
    where = ["(" + (" OR ".join(areas) or "1 = 0") + ")"]
    if dq.period is None:
        where.append("grain = 'y'")
    else:
        sql, more = grains_sql(dq.period)
        where.append(sql)
        params += more
    for column, value in (("level", dq.level), ("dispute_type", dq.dispute_type)):
        if value:
            where.append(f"{column} = %s")
            params.append(value)
    if dq.mediator is not None:
        where.append("mediator_id = %s")
        params.append(dq.mediator)
    return " AND ".join(where), params


def rollup_rows(dq: DisputeQuery, *, group_area: int | None = None) -> QuerySet[DisputeRollup]:
    where, params = rollup_where(dq, group_area=group_area)
    # the condition is built from column names and placeholders only; the values are parameters
    return DisputeRollup.objects.extra(where=[where], params=params).order_by()  # noqa: S610


_SELECT_SUMS = ", ".join(f"SUM({m})" for m in MEASURES)


def sums_of(dqs: list[DisputeQuery]) -> list[dict[str, int]]:
    """The sums of each query (e.g. one per period), in one statement."""
    parts, params = [], []
    for i, dq in enumerate(dqs):
        where, more = rollup_where(dq)
        parts.append(f"SELECT {i}, {_SELECT_SUMS} FROM mediation_disputerollup WHERE {where}")  # noqa: S608
        params += more
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        found = {row[0]: row[1:] for row in cursor.fetchall()}
    return [{m: int(v or 0) for m, v in zip(MEASURES, found.get(i, (0,) * len(MEASURES)), strict=True)}
            for i in range(len(dqs))]


SUMS = {m: Sum(m) for m in MEASURES}


def sums(dq: DisputeQuery) -> dict[str, int]:
    return sums_of([dq])[0]


def _kpi_row(key: str, label: str, values: dict[str, Any]) -> KpiRow:
    return KpiRow(key, label, *(int(values.get(m) or 0) for m in
                                ("screened", "accepted", "resolved", "resolved_on_time")))


def dispute_kpis(dq: DisputeQuery, *, by: str | None = None) -> list[KpiRow]:
    """One row for the whole query (``by=None``) or one per value of the cut."""
    if by is None:
        return [_kpi_row("all", "合计", sums(dq))]
    if by not in CUTS:
        raise ValueError(by)
    qs = rollup_rows(dq, group_area=GROUP_AREA.get(by))
    if by in GROUP_AREA:
        qs = qs.annotate(**{by: Substr("area", 1, GROUP_AREA[by])})
    rows = [r for r in qs.values(CUTS[by]).annotate(**SUMS).order_by(CUTS[by]) if r["screened"]]
    if by == "level":  # village, township, county — the way disputes go up
        rows.sort(key=lambda r: LEVEL_ORDER.index(Level(r["level"])))
    labels = _labels(by, [r[CUTS[by]] for r in rows])
    return [_kpi_row(str(r[CUTS[by]]), labels.get(r[CUTS[by]], "（未指定）"), r) for r in rows]


def _labels(by: str, keys: list[Any]) -> dict[Any, str]:
    if by == "level":
        return {k: Level(k).label for k in keys}
    if by == "type":
        return {k: DisputeType(k).label for k in keys}
    if by in GROUP_AREA:
        return dict(Area.objects.filter(code__in=keys).values_list("code", "name"))
    return {u.pk: u.display_name or u.username for u in User.objects.filter(pk__in=keys)}


def level_stats(dq: DisputeQuery) -> list[LevelRow]:
    values = sums(dq)
    return [LevelRow(lv.value, lv.label, values[f"accepted_{lv}"], values[f"resolved_{lv}"],
                     values[f"escalated_{lv}"]) for lv in LEVEL_ORDER]
