"""The rollups of all facts, summed with array arithmetic (``rollups rebuild``).

What ``cuts.contributions`` says for one fact, said for millions at once: each dated fact
column (``cuts.DATED``) and the open cases' deadline day give contributions keyed by (full
area, category, channel, department, day); they are summed per chunk of cases as they are
computed (``add``), then per cut, area level and grain (``rows``). Keys are packed into one
int64 — area, category, channel and department as dictionary codes, the day as days since
1970 — so that a sum is a sort (``np.unique``) and a ``np.bincount``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import numpy as np

from civicgrid.stats import cuts
from civicgrid.stats.facts import NO_DUE, Computed
from civicgrid.stats.models import MEASURES
from civicgrid.stats.workspan import NONE

EPOCH_DAY = dt.date(1970, 1, 1).toordinal()
NO_DUE_CODE = 2**16 - 1
# bits of each part of a packed key: area, category, channel, department, day (63 in all)
BITS = {"area": 20, "category_id": 10, "channel": 5, "department_id": 12, "day": 16}
SOURCES = {**cuts.DATED, cuts.OPEN_DATE: (("open", None),)}


class Codes:
    """A dictionary code per distinct value, in order of first sight."""

    def __init__(self, name: str) -> None:
        self.name, self.values, self.code = name, [], {}

    def of(self, values: list[Any]) -> np.ndarray:
        code, known = self.code, self.values
        out = []
        for v in values:
            c = code.get(v)
            if c is None:
                c = code[v] = len(known)
                known.append(v)
            out.append(c)
        if len(known) >= 2 ** BITS[self.name]:
            raise RuntimeError(f"rollups rebuild: more than {2 ** BITS[self.name]} values of {self.name}")
        return np.array(out, dtype=np.int64)


def _pack(area: np.ndarray, cat: np.ndarray, channel: np.ndarray, dept: np.ndarray,
          day: np.ndarray) -> np.ndarray:
    key = area
    for part, name in ((cat, "category_id"), (channel, "channel"), (dept, "department_id"), (day, "day")):
        key = (key << BITS[name]) | part
    return key


def _unpack(key: np.ndarray) -> dict[str, np.ndarray]:
    out = {}
    for name in ("day", "department_id", "channel", "category_id"):
        out[name] = key & (2 ** BITS[name] - 1)
        key = key >> BITS[name]
    out["area"] = key
    return out


def _sum(keys: np.ndarray, values: dict[str, np.ndarray]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    unique, inverse = np.unique(keys, return_inverse=True)
    summed = {m: np.bincount(inverse, weights=v, minlength=len(unique)).round().astype(np.int64)
              for m, v in values.items()}
    return unique, summed


class Sums:
    """Contributions of the facts added so far, per source column, summed by full key."""

    def __init__(self) -> None:
        self.codes = {d: Codes(d) for d in ("area", *cuts.DIMS)}
        self.parts: dict[str, list[tuple[np.ndarray, dict[str, np.ndarray]]]] = {s: [] for s in SOURCES}

    def add(self, computed: Computed) -> None:
        c = computed.cols
        base = {"area": self.codes["area"].of(c.area),
                "category_id": self.codes["category_id"].of(c.category.tolist()),
                "channel": self.codes["channel"].of(c.channel),
                "department_id": self.codes["department_id"].of(computed.department)}
        first = computed.span.first.toordinal() - EPOCH_DAY
        facts = computed.arrays()
        for source, measures in SOURCES.items():
            index = facts[source]
            if source == cuts.OPEN_DATE:
                day = np.where(computed.open_no_due, NO_DUE_CODE, index + first)
                keep = index != NONE
                keep |= computed.open_no_due
            else:
                day, keep = index + first, index != NONE
            key = _pack(*(base[n][keep] for n in ("area", *cuts.DIMS)), day[keep])
            values = {m: (np.ones(int(keep.sum()), dtype=np.int64) if f is None
                          else facts[f][keep].astype(np.int64)) for m, f in measures}
            self.parts[source].append(_sum(key, values))

    def _sources(self) -> Iterator[tuple[str, np.ndarray, dict[str, np.ndarray]]]:
        for source, parts in self.parts.items():
            if parts:
                keys = np.concatenate([k for k, _ in parts])
                values = {m: np.concatenate([v[m] for _, v in parts]) for m in parts[0][1]}
                yield source, *_sum(keys, values)

    def rows(self, *, batch: int = 200_000) -> Iterator[list[tuple[Any, ...]]]:
        """The rollup rows (``rollups.COLUMNS`` + ``MEASURES``), in batches."""
        sources = list(self._sources())
        self.parts = {}
        areas = self.codes["area"].values
        prefixes = Codes("area")
        area_len = np.array([len(a) for a in areas], dtype=np.int64)
        level_code = {n: prefixes.of([a[:n] for a in areas]) for n in cuts.AREA_LEVELS}
        full_code = prefixes.of(areas)
        empty = {d: self.codes[d].of([cuts.EMPTY[d]])[0] for d in cuts.DIMS}
        month, year = _period_maps(sources)
        for cut in cuts.CUTS:
            for level in cut.levels or (None,):
                for grain in ("d", "m", "y", "o"):
                    yield from self._cut_rows(cut, level, grain, sources, level_code, full_code,
                                              area_len, empty, month, year, prefixes, batch)

    def _cut_rows(self, cut: cuts.Cut, level: int | None, grain: str, sources: list[Any],
                  level_code: dict[int, np.ndarray], full_code: np.ndarray, area_len: np.ndarray,
                  empty: dict[str, int], month: np.ndarray, year: np.ndarray, prefixes: Codes,
                  batch: int) -> Iterator[list[tuple[Any, ...]]]:
        keys_all: list[np.ndarray] = []
        parts: list[tuple[int, int, dict[str, np.ndarray]]] = []  # (start, end, measures)
        at = 0
        for source, keys, values in sources:
            if (grain == "o") != (source == cuts.OPEN_DATE):
                continue
            p = _unpack(keys)
            keep = np.ones(len(keys), dtype=bool) if level is None else area_len[p["area"]] >= level
            area = (full_code if level is None else level_code[level])[p["area"][keep]]
            dims = [p[d][keep] if d in cut.dims else np.full(int(keep.sum()), empty[d], dtype=np.int64)
                    for d in cuts.DIMS]
            day = p["day"][keep]
            day = month[day] if grain == "m" else year[day] if grain == "y" else day
            keys_all.append(_pack(area, *dims, day))
            parts.append((at, at + len(area), {m: v[keep] for m, v in values.items()}))
            at += len(area)
        if not keys_all:
            return
        keys, inverse = np.unique(np.concatenate(keys_all), return_inverse=True)
        del keys_all
        summed = {m: np.zeros(len(keys), dtype=np.int64) for m in MEASURES}
        for start, end, values in parts:  # each source adds only the measures it has
            for m, v in values.items():
                summed[m] += np.bincount(inverse[start:end], weights=v, minlength=len(keys)).round().astype(np.int64)
        p = _unpack(keys)
        names = prefixes.values
        cats, channels, depts = (self.codes[d].values for d in cuts.DIMS)
        for start in range(0, len(keys), batch):
            part = slice(start, start + batch)
            area = [names[i] for i in p["area"][part].tolist()]
            days = [_date(d) for d in p["day"][part].tolist()]
            yield list(zip(
                [cut.name] * len(area), [grain] * len(area), [len(a) for a in area], days, area,
                [cats[i] for i in p["category_id"][part].tolist()],
                [channels[i] for i in p["channel"][part].tolist()],
                [depts[i] for i in p["department_id"][part].tolist()],
                *(summed[m][part].tolist() for m in MEASURES), strict=True))


def _date(code: int) -> dt.date:
    return NO_DUE if code == NO_DUE_CODE else dt.date.fromordinal(code + EPOCH_DAY)


def _period_maps(sources: list[Any]) -> tuple[np.ndarray, np.ndarray]:
    """Day code → the code of its month's first day, and of its year's 1 January."""
    month = np.zeros(2 ** BITS["day"], dtype=np.int64)
    year = np.zeros(2 ** BITS["day"], dtype=np.int64)
    days = np.unique(np.concatenate([_unpack(k)["day"] for _, k, _ in sources] or [np.zeros(0, np.int64)]))
    for code in days.tolist():
        if code == NO_DUE_CODE:
            continue
        day = _date(code)
        month[code] = cuts.month_of(day).toordinal() - EPOCH_DAY
        year[code] = cuts.year_of(day).toordinal() - EPOCH_DAY
    return month, year
