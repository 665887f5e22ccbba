"""Which sums the rollup table keeps (the cuts) and what one case fact adds to them.

A cut keeps some dimensions and drops the others (stored as 0 / ''); the area is cut to a
level (its code length). A query reads the smallest cut that can answer it
(``selectors.rollup_read``): a calendar year over the whole city touches one year row per
county of cut ``a``; a township by category touches cut ``ac``; anything finer reads cut ``x`` (full
area code × category × channel × department). Every cut exists per day (grain ``d``) and
per month (``m``, period = the 1st) and per year (``y``, period = 1 January); open cases are
kept per deadline day (grain ``o``).

``contributions(fact)`` (the worker) and ``rollup_arrays.Sums`` (the rebuild, over all facts
as arrays) say the same thing twice, once per path (tested equal); ``civicgrid rollups check``
compares the rollups with a brute-force count over the cases.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from civicgrid.stats.models import CaseFact

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
