"""The cleaner's cached reading of the usual export times (day and clock parsed once per import)
answers exactly as the general parser does, valid or not."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from civicgrid.areas.models import Area, AreaLevel
from civicgrid.cases.imports.clean import Cleaner, RowError
from civicgrid.cases.imports.mapping import Mapping
from civicgrid.core import parsers
from civicgrid.core.parsers import ParseError

pytestmark = pytest.mark.django_db

HEADERS = ["工单编号", "来电时间", "诉求内容"]


def _cleaner() -> Cleaner:
    root = Area.objects.filter(level=AreaLevel.COUNTY).order_by("code").first()
    assert root is not None
    return Cleaner(Mapping(), HEADERS, root, timezone.now())


def _parser_answer(value: str) -> str:
    try:
        return parsers.parse_datetime(value).isoformat()
    except ParseError as exc:
        return exc.code


def _cleaner_answer(cleaner: Cleaner, value: str) -> str:
    try:
        found = cleaner._parse_when(value, "来电时间")
    except RowError as exc:
        return exc.code
    assert found is not None
    return found.isoformat()


_numbers = st.integers(0, 99).map(str) | st.integers(0, 9).map(lambda n: f"0{n}")
_days = st.builds(lambda y, m, d, sep: f"{y}{sep}{m}{sep}{d}",
                  st.integers(1900, 2100).map(str) | st.sampled_from(["0000", "99", "20201"]),
                  _numbers, _numbers, st.sampled_from(["/", "-", ".", "/ "]))
_clocks = st.builds(lambda h, m, s: f"{h}:{m}:{s}", _numbers, _numbers, _numbers)
_values = (st.builds(lambda d, c, sep: f"{d}{sep}{c}", _days, _clocks, st.sampled_from([" ", "  ", "T"]))
           | _days | st.builds(lambda d, c: f"{d} {c}", _days, st.text(max_size=12)))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_values, min_size=1, max_size=6))
@example(["2020/1/6 12:09:38", "2020/1/6 12:09:38", "2020-01-06", "2020/2/30 10:00:00",
          "2020/1/6 24:00:00", "2020/1/6 12:09", "2020/1/6 ", "2020/1/6 12:09:38 ", "2020/13/1",
          # Shanghai's summer time (UTC+9, 1986-1991): the cached path reads 1992 on only
          "1988/6/1 12:00:00", "1991/7/1", "1991/12/31 23:59:59", "1992/1/1 0:00:00"])
def test_cached_times_answer_as_the_parser(values: list[str]) -> None:
    cleaner = _cleaner()
    for value in values * 2:  # the second time from the caches
        assert _cleaner_answer(cleaner, value) == _parser_answer(value), value


def test_a_time_in_the_future_is_refused_and_one_within_a_day_kept() -> None:
    cleaner = _cleaner()
    local = cleaner.now.astimezone(parsers.SHANGHAI)
    soon = (local + dt.timedelta(hours=20)).strftime("%Y/%m/%d %H:%M:%S")
    late = (local + dt.timedelta(days=2)).strftime("%Y/%m/%d %H:%M:%S")
    assert cleaner.clean(2, ["GD1", soon, "路灯不亮"]).reported_at.strftime("%Y/%m/%d %H:%M:%S") == soon
    with pytest.raises(RowError) as refused:
        cleaner.clean(3, ["GD2", late, "路灯不亮"])
    assert refused.value.code == "invalid_datetime"
