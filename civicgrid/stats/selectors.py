"""Every read of the command centre, scoped to the user (``dashboard.view``).

``kpi_query(user, params)`` turns request parameters into a ``KpiQuery``: the period, the
filters (area at any level or a grid code, category, channel, department) and the area
prefixes the user may see (an area outside them answers 404, as a missing one). The sums come
from the smallest rollup cut that answers the question (``cuts.py``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from django.db import connection
from django.db.models import Q
from django.utils import timezone

from civicgrid.accounts.models import OrgKind, OrgUnit, User
from civicgrid.accounts.scope import scope_for
from civicgrid.cases.models import Category, Channel
from civicgrid.core.errors import NotFound, PermissionDenied, ValidationFailed
from civicgrid.stats import cuts, kpis
from civicgrid.stats.models import MEASURES
from civicgrid.stats.periods import KINDS, Period, grains_sql, period_of

PERMISSION = "dashboard.view"
DIM_FILTERS = {"category": "category_id", "channel": "channel", "department": "department_id"}


@dataclass(frozen=True)
class KpiQuery:
    user: User | None
    period: Period
    kind: str = "month"
    prefixes: tuple[str, ...] = ("",)  # area code prefixes: scope ∩ the area filter
    area: str = ""
    category: int | None = None
    category_ids: tuple[int, ...] = ()
    channel: str = ""
    department: int | None = None
    extra: tuple[tuple[str, str], ...] = ()  # other apps' filters (``EXTRA_FILTERS``), as given
    departments: tuple[int, ...] = ()  # a department user's own departments (``dashboard_scope``)

    def shifted(self, period: Period) -> KpiQuery:
        return replace(self, period=period)

    def params(self) -> dict[str, str]:
        """The query string that means this query (links, drill-down, exports)."""
        out = {"period": "custom", "start": self.period.start.isoformat(),
               "end": self.period.end.isoformat()}
        for name, value in (("area", self.area), ("category", self.category),
                            ("channel", self.channel), ("department", self.department)):
            if value:
                out[name] = str(value)
        out.update(self.extra)
        return out


# query parameters that other apps' KPI sources read from ``KpiQuery.extra`` (and validate
# themselves), e.g. mediation's dispute_level / dispute_type / dispute_mediator
EXTRA_FILTERS: set[str] = set()


def _date(raw: str, name: str) -> dt.date | None:
    if not raw:
        return None
    try:
        value = dt.date.fromisoformat(raw)
    except ValueError as exc:
        raise ValidationFailed(f"日期格式应为 YYYY-MM-DD：{raw}", code="invalid_date",
                               fields={name: [raw]}) from exc
    if not 1950 <= value.year <= 2999:
        raise ValidationFailed(f"日期超出范围：{raw}", code="invalid_date", fields={name: [raw]})
    return value


def _int(raw: str, name: str, label: str) -> int | None:
    if not raw:
        return None
    try:
        value = int(raw)
    except ValueError as exc:
        raise ValidationFailed(f"{label}无效：{raw}", code=f"invalid_{name}", fields={name: [raw]}) from exc
    if not 0 <= value < 2**31:
        raise ValidationFailed(f"{label}无效：{raw}", code=f"invalid_{name}", fields={name: [raw]})
    return value


def scope_prefixes(user: User | None) -> tuple[str, ...]:
    scope = scope_for(user, PERMISSION)
    if scope.everywhere:
        return ("",)
    prefixes = sorted(scope.area_prefixes | scope.grid_codes)
    # a prefix inside another adds nothing
    kept = tuple(p for p in prefixes if not any(p != o and p.startswith(o) for o in prefixes))
    if not kept:
        raise PermissionDenied("您无权查看指挥中心数据。", code="dashboard_not_permitted")
    return kept


def dashboard_scope(user: User | None) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """The area prefixes a user may see in the command centre and, for a user who holds
    ``dashboard.view`` only at departments (a 局长 granted the leader role at 城管局), those
    departments: a department sees what is assigned to it (DESIGN.md §5), here the KPIs of
    the cases it leads, everywhere. Anyone else without the permission: 403."""
    scope = scope_for(user, PERMISSION)
    if scope.everywhere or scope.area_prefixes or scope.grid_codes or not scope.org_unit_ids:
        return scope_prefixes(user), ()
    departments = tuple(sorted(OrgUnit.objects.filter(pk__in=scope.org_unit_ids, kind=OrgKind.DEPARTMENT)
                               .values_list("pk", flat=True)))
    if not departments:
        raise PermissionDenied("您无权查看指挥中心数据。", code="dashboard_not_permitted")
    return ("",), departments


def _narrow(prefixes: tuple[str, ...], area: str) -> tuple[str, ...]:
    if not area:
        return prefixes
    if any(area.startswith(p) for p in prefixes):
        return (area,)
    inside = tuple(p for p in prefixes if p.startswith(area))
    if not inside:
        raise NotFound("区域不存在。", code="area_not_found")
    return inside


def kpi_query(user: User | None, params: Mapping[str, Any], *, today: dt.date | None = None) -> KpiQuery:
    prefixes, departments = dashboard_scope(user)
    kind = (params.get("period") or "month").strip()
    if kind not in KINDS:
        raise ValidationFailed("统计周期应为日、周、月、季、年或自定义。", code="invalid_period",
                               fields={"period": [kind]})
    anchor = _date(params.get("date", ""), "date") or today or timezone.localdate()
    period = period_of(kind, anchor, _date(params.get("start", ""), "start"),
                       _date(params.get("end", ""), "end"))
    area = (params.get("area") or "").strip()
    if area and (not area.isdigit() or len(area) not in (2, 4, 6, 9, 12, 15)):
        raise ValidationFailed("区域应为 2–12 位区划代码或 15 位网格编码。", code="invalid_area",
                               fields={"area": [area]})
    category = _int(params.get("category", ""), "category", "事项分类")
    category_ids: tuple[int, ...] = ()
    if category is not None:
        found = Category.objects.filter(Q(pk=category) | Q(parent_id=category)).values_list("pk", flat=True)
        category_ids = tuple(sorted(found))
        if not category_ids:
            raise ValidationFailed("事项分类不存在。", code="unknown_category", fields={"category": [category]})
    channel = (params.get("channel") or "").strip()
    if channel and channel not in Channel.values:
        raise ValidationFailed("来源渠道无效。", code="invalid_channel", fields={"channel": [channel]})
    department = _int(params.get("department", ""), "department", "部门")
    if departments and department is None:
        department = departments[0]
    elif departments and department not in departments:  # another department: as if missing
        raise NotFound("部门不存在。", code="department_not_found")
    extra = tuple((name, str(params.get(name)).strip()) for name in sorted(EXTRA_FILTERS)
                  if str(params.get(name) or "").strip())
    return KpiQuery(user=user, period=period, kind=kind, prefixes=_narrow(prefixes, area),
                    area=area, category=category, category_ids=category_ids, channel=channel,
                    department=department, departments=departments, extra=extra)


# --- rollup reads --------------------------------------------------------------------------

def _level_for(length: int) -> int:
    return next(n for n in cuts.AREA_LEVELS if n >= length)


def _dims(q: KpiQuery) -> set[str]:
    used = set()
    if q.category_ids:
        used.add("category_id")
    if q.channel:
        used.add("channel")
    if q.department is not None:
        used.add("department_id")
    return used


@dataclass(frozen=True)
class RollupRead:
    """The condition on ``stats_rollup`` that answers a query (``grain`` 'o': open cases),
    with its parameters, and the expression to group by (area cut to ``group_area`` digits,
    or a dimension). Written as SQL, not through the ORM: the command centre runs a handful of
    these per request, and compiling them took most of its time."""
    where: str
    params: tuple[Any, ...]
    key: str | None


def rollup_read(q: KpiQuery, *, grain: str | None = None, group_area: int | None = None,
                group_dim: str | None = None, days: bool = False, years: bool = True) -> RollupRead:
    dims = _dims(q) | ({group_dim} if group_dim else set())
    longest = max(len(p) for p in q.prefixes)
    deepest = max(longest, group_area or 0)
    if not dims:
        cut = "a"
    elif len(dims) == 1 and deepest <= 9:
        cut = {"category_id": "ac", "channel": "ah", "department_id": "ad"}[dims.pop()]
    else:
        cut = "x"
    where, params = ["cut = %s"], [cut]
    areas, area_params = [], []
    for prefix in q.prefixes:
        cond = ["area LIKE %s"] if prefix else []
        area_params += [prefix + "%"] if prefix else []
        if cut == "a":
            cond.append("level = %s")
            area_params.append(max(_level_for(len(prefix) or 6), _level_for(group_area or 6)))
        elif cut != "x":
            cond.append("level = 9")
        elif group_area:
            cond.append("level >= %s")
            area_params.append(group_area)
        areas.append(" AND ".join(cond) or "1 = 1")
    where.append("(" + " OR ".join(f"({a})" for a in areas) + ")")
    params += area_params
    if q.category_ids:
        where.append(f"category_id IN ({', '.join(['%s'] * len(q.category_ids))})")
        params += q.category_ids
    if q.channel:
        where.append("channel = %s")
        params.append(q.channel)
    if q.department is not None:
        where.append("department_id = %s")
        params.append(q.department)
    if grain == "o":
        where.append("grain = 'o'")
    elif days:
        where.append("grain = 'd' AND period >= %s AND period <= %s")
        params += [q.period.start.isoformat(), q.period.end.isoformat()]
    else:
        sql, more = grains_sql(q.period, years=years)
        where.append(sql)
        params += more
    key = f"SUBSTR(area, 1, {int(group_area)})" if group_area else group_dim
    return RollupRead(" AND ".join(where), tuple(params), key)


def _sums(row: Mapping[str, Any] | None) -> dict[str, int]:
    values = {m: int((row or {}).get(m) or 0) for m in MEASURES}
    for name, fn in kpis.DERIVED.items():
        values[name] = fn(values)
    return values


_SELECT_SUMS = ", ".join(f"SUM({m})" for m in MEASURES)


def _fetch(sql: str, params: list[Any] | tuple[Any, ...]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _day(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)  # SQLite: text


def measures(q: KpiQuery, *, grain: str | None = None) -> dict[str, int]:
    read = rollup_read(q, grain=grain)
    row = _fetch(f"SELECT {_SELECT_SUMS} FROM stats_rollup WHERE {read.where}",  # noqa: S608
                 read.params)[0]
    return _sums(dict(zip(MEASURES, row, strict=True)))


def measures_of(queries: list[KpiQuery]) -> list[dict[str, int]]:
    """``measures`` of several queries (e.g. one per period) in one statement."""
    reads = [rollup_read(query) for query in queries]
    sql = " UNION ALL ".join(f"SELECT {i}, {_SELECT_SUMS} FROM stats_rollup WHERE {read.where}"  # noqa: S608
                             for i, read in enumerate(reads))
    found = {row[0]: row[1:] for row in _fetch(sql, [p for read in reads for p in read.params])}
    return [_sums(dict(zip(MEASURES, found.get(i, ()), strict=False))) for i in range(len(reads))]


def grouped(q: KpiQuery, *, group_area: int | None = None, group_dim: str | None = None,
            by_period: bool = False, days: bool = False) -> list[dict[str, Any]]:
    """Sums per area / dimension value / (grain, period) (``days``: day rows only; by period:
    no year rows, so that months stay apart)."""
    read = rollup_read(q, group_area=group_area, group_dim=group_dim, days=days,
                       years=not by_period)
    fields = [read.key or "NULL"] + (["grain", "period"] if by_period else [])
    group = ", ".join(fields[0 if read.key else 1:])
    sql = f"SELECT {', '.join(fields)}, {_SELECT_SUMS} FROM stats_rollup WHERE {read.where}"  # noqa: S608
    rows = _fetch(sql + (f" GROUP BY {group}" if group else ""), read.params)
    out = []
    width = len(fields)
    for row in rows:
        item = {"key": row[0], **_sums(dict(zip(MEASURES, row[width:], strict=True)))}
        if by_period:
            item["grain"], item["period"] = row[1], _day(row[2])
        out.append(item)
    return out


def open_by_deadline(q: KpiQuery, before: dt.date) -> tuple[int, int]:
    """(open cases, open cases whose deadline day is before ``before``) from the rollups."""
    read = rollup_read(q, grain="o")
    sql = ("SELECT SUM(open), SUM(CASE WHEN period < %s THEN open ELSE 0 END) "  # noqa: S608
           f"FROM stats_rollup WHERE {read.where}")
    total, late = _fetch(sql, [before.isoformat(), *read.params])[0]
    return int(total or 0), int(late or 0)
