"""Periods: kinds, comparisons, and the rollup rows that cover a range (each day once)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from civicgrid.core.errors import ValidationFailed
from civicgrid.stats.periods import Period, add_months, grains, period_of


def _days(grain: str, low: dt.date, high: dt.date) -> list[dt.date]:
    out, day = [], low
    while day <= high:
        if grain == "d":
            out.append(day)
            day += dt.timedelta(days=1)
        elif grain == "m":
            nxt = add_months(day, 1)
            out += [day + dt.timedelta(days=i) for i in range((nxt - day).days)]
            day = nxt
        else:
            nxt = dt.date(day.year + 1, 1, 1)
            out += [day + dt.timedelta(days=i) for i in range((nxt - day).days)]
            day = nxt
    return out


@given(start=st.dates(dt.date(2020, 1, 1), dt.date(2030, 12, 31)), length=st.integers(0, 1500),
       years=st.booleans())
def test_the_rows_cover_each_day_exactly_once(start: dt.date, length: int, years: bool) -> None:
    period = Period(start, start + dt.timedelta(days=length))
    covered = [d for g, low, high in grains(period, years=years) for d in _days(g, low, high)]
    assert sorted(covered) == [start + dt.timedelta(days=i) for i in range(length + 1)]
    assert years or all(g != "y" for g, _, _ in grains(period, years=years))


def test_kinds_and_comparisons() -> None:
    q = period_of("quarter", dt.date(2026, 5, 17))
    assert (q.start, q.end) == (dt.date(2026, 4, 1), dt.date(2026, 6, 30))
    assert q.previous() == Period(dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    assert q.last_year() == Period(dt.date(2025, 4, 1), dt.date(2025, 6, 30))
    week = period_of("week", dt.date(2026, 11, 21))
    assert week.start.weekday() == 0 and week.days == 7
    assert period_of("day", dt.date(2024, 2, 29)).last_year().start == dt.date(2023, 2, 28)
    assert grains(period_of("year", dt.date(2026, 3, 1))) == [("y", dt.date(2026, 1, 1), dt.date(2026, 1, 1))]
    with pytest.raises(ValidationFailed):
        period_of("custom", dt.date(2026, 1, 1), dt.date(2026, 2, 1), dt.date(2026, 1, 1))
