"""Which sums the rollup table keeps (the cuts) and what one case fact adds to them.

A cut keeps some dimensions and drops the others (stored as 0 / ''); the area is cut to a
level (its code length). A query reads the smallest cut that can answer it
(``selectors.rollup_rows``): a calendar year over the whole city touches one year row per
county of cut ``a``; a township by category touches cut ``ac``; anything finer reads cut ``x`` (full
area code × category × channel × department). Every cut exists per day (grain ``d``) and
per month (``m``, period = the 1st) and per year (``y``, period = 1 January); open cases are
kept per deadline day (grain ``o``).

``contributions(fact)`` (the worker) and ``rebuild_statements()`` (SQL over all facts) say
the same thing twice, once per path; ``civicgrid rollups check`` compares both with a
brute-force count over the cases.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from civicgrid.stats.models import MEASURES, CaseFact

DIMS = ("category_id", "channel", "department_id")
EMPTY = {"category_id": 0, "channel": "", "department_id": 0}


@dataclass(frozen=True)
class Cut:
    name: str
    levels: tuple[int, ...]  # () = the full area code as it is
    dims: tuple[str, ...]


CUTS = (
    Cut("a", (6, 9, 12, 15), ()),
    Cut("ac", (9,), ("category_id",)),
    Cut("ah", (9,), ("channel",)),
    Cut("ad", (9,), ("department_id",)),
    Cut("x", (), DIMS),
)
CUT_BY_NAME = {c.name: c for c in CUTS}
AREA_LEVELS = (6, 9, 12, 15)

# fact date column → the measures counted on that day: (measure, fact field or None for 1)
DATED: dict[str, tuple[tuple[str, str | None], ...]] = {
    "created_day": (("received", None),),
    "registered_day": (("registered", None),),
    "handled_day": (("handled", None), ("reworked", "reworked")),
    "closed_day": (("closed", None), ("closed_on_time", "closed_on_time"),
                   ("verified_on_time", "verified_on_time"), ("handle_seconds", "handle_seconds"),
                   ("handle_count", "handle_count"), ("rated", "rated"), ("satisfied", "satisfied")),
}
OPEN_DATE = "open_due_day"

Key = tuple[str, str, int, dt.date, str, int, str, int]


def month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def year_of(day: dt.date) -> dt.date:
    return day.replace(month=1, day=1)


def _areas(cut: Cut, area: str) -> list[tuple[int, str]]:
    if not cut.levels:
        return [(len(area), area)]
    return [(n, area[:n]) for n in cut.levels if len(area) >= n]


def contributions(fact: CaseFact | None) -> dict[Key, dict[str, int]]:
    out: dict[Key, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    if fact is None:
        return out
    periods: list[tuple[str, dt.date, dict[str, int]]] = []
    for column, measures in DATED.items():
        day = getattr(fact, column)
        if day is None:
            continue
        values = {m: (1 if f is None else int(getattr(fact, f))) for m, f in measures}
        periods += [("d", day, values), ("m", month_of(day), values), ("y", year_of(day), values)]
    if fact.open_due_day is not None:
        periods.append(("o", fact.open_due_day, {"open": 1}))
    for cut in CUTS:
        dims = {d: (getattr(fact, d) if d in cut.dims else EMPTY[d]) for d in DIMS}
        for level, area in _areas(cut, fact.area):
            for grain, period, values in periods:
                key = (cut.name, grain, level, period, area, dims["category_id"], dims["channel"],
                       dims["department_id"])
                for m, v in values.items():
                    out[key][m] += v
    return out


def delta(old: CaseFact | None, new: CaseFact | None,
          into: dict[Key, dict[str, int]] | None = None) -> dict[Key, dict[str, int]]:
    """``into`` + (new − old), dropping keys whose change is zero."""
    total: dict[Key, dict[str, int]] = into if into is not None else defaultdict(lambda: defaultdict(int))
    for sign, fact in ((-1, old), (1, new)):
        for key, values in contributions(fact).items():
            bucket = total.setdefault(key, defaultdict(int))
            for m, v in values.items():
                bucket[m] += sign * v
    for key in [k for k, v in total.items() if not any(v.values())]:
        del total[key]
    return total


# --- the same, as SQL over every fact (``rollups rebuild``) --------------------------------

def _trunc_sql(vendor: str, unit: str, column: str) -> str:
    if vendor == "postgresql":
        return f"CAST(date_trunc('{unit}', {column}) AS date)"
    return f"date({column}, 'start of {unit}')"


def _int(expr: str) -> str:
    return f"CASE WHEN {expr} THEN 1 ELSE 0 END"


def _branch(cut: Cut, level: int | None, grain: str, period: str, where: str,
            values: dict[str, str], fact_table: str) -> str:
    area = "area" if level is None else f"substr(area, 1, {level})"
    lvl = "length(area)" if level is None else str(level)
    dims = [f"{d if d in cut.dims else (repr('') if d == 'channel' else '0')} AS {d}" for d in DIMS]
    measures = [f"{values.get(m, '0')} AS {m}" for m in MEASURES]
    cond = [where] + ([f"length(area) >= {level}"] if level is not None else [])
    return (f"SELECT '{cut.name}' AS cut, '{grain}' AS grain, {lvl} AS level, {period} AS period, "  # noqa: S608 - module constants only
            f"{area} AS area, {', '.join(dims)}, {', '.join(measures)} "
            f"FROM {fact_table} WHERE {' AND '.join(cond)}")


def rebuild_statements(vendor: str, fact_table: str, rollup_table: str) -> list[str]:
    statements = []
    columns = ["cut", "grain", "level", "period", "area", *DIMS, *MEASURES]
    for cut in CUTS:
        for level in cut.levels or (None,):
            branches = []
            for column, measures in DATED.items():
                values = {m: ("1" if f is None else (f if f == "handle_seconds" or f == "handle_count"
                                                      else _int(f)))
                          for m, f in measures}
                where = f"{column} IS NOT NULL"
                branches.append(_branch(cut, level, "d", column, where, values, fact_table))
                for grain, unit in (("m", "month"), ("y", "year")):
                    branches.append(_branch(cut, level, grain, _trunc_sql(vendor, unit, column), where,
                                            values, fact_table))
            branches.append(_branch(cut, level, "o", OPEN_DATE, f"{OPEN_DATE} IS NOT NULL",
                                    {"open": "1"}, fact_table))
            keys = ", ".join(columns[:8])
            sums = ", ".join(f"SUM({m})" for m in MEASURES)
            statements.append(
                f"INSERT INTO {rollup_table} ({', '.join(columns)}) "  # noqa: S608
                f"SELECT {keys}, {sums} FROM ({' UNION ALL '.join(branches)}) AS contributions "
                f"GROUP BY {keys}")
    return statements
