"""The value parsers: round trips, GB 11643 check digits, and nothing but ParseError ever."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from civicgrid.core import parsers
from civicgrid.core.parsers import ParseError

SHANGHAI = parsers.SHANGHAI
FUJIAN3 = Path(__file__).resolve().parents[3] / "shared/data/tipdm2020_c/fujian3_messages_with_votes.csv"

moments = st.datetimes(min_value=dt.datetime(1901, 1, 1), max_value=dt.datetime(2099, 12, 31))


# --- dates -----------------------------------------------------------------------------------

@given(moments)
def test_datetime_formats_round_trip(moment: dt.datetime) -> None:
    moment = moment.replace(microsecond=0)
    texts = [
        f"{moment.year}/{moment.month}/{moment.day} {moment.hour}:{moment.minute:02}:{moment.second:02}",
        moment.strftime("%Y-%m-%d %H:%M:%S"),
        f"{moment.year}年{moment.month}月{moment.day}日 {moment.hour}:{moment.minute:02}:{moment.second:02}",
        f"{moment.year}年{moment.month}月{moment.day}日{moment.hour}时{moment.minute}分{moment.second}秒",
        moment.strftime("%Y%m%d%H%M%S"),
        moment.isoformat(),
    ]
    for text in texts:
        parsed = parsers.parse_datetime(text)
        assert parsed.tzinfo is not None, text
        assert parsed.replace(tzinfo=None) == moment, text


@given(st.dates(min_value=dt.date(1901, 1, 1), max_value=dt.date(2099, 12, 31)))
def test_date_formats_round_trip(day: dt.date) -> None:
    for text in (day.isoformat(), f"{day.year}/{day.month}/{day.day}",
                 f"{day.year}年{day.month}月{day.day}日", day.strftime("%Y%m%d")):
        assert parsers.parse_date(text) == day, text
        parsed = parsers.parse_datetime(text)
        assert parsed.tzinfo == SHANGHAI, text  # naive → Asia/Shanghai (DST 1986–91 included)


@given(moments)
def test_excel_serial_round_trip(moment: dt.datetime) -> None:
    moment = moment.replace(microsecond=0)
    serial = parsers.datetime_to_excel_serial(moment)
    assert parsers.parse_datetime(serial).replace(tzinfo=None) == moment
    assert parsers.parse_datetime(repr(serial)).replace(tzinfo=None) == moment


def test_excel_serial_known_values_and_the_1900_leap_year_quirk() -> None:
    assert parsers.parse_datetime(1).date() == dt.date(1900, 1, 1)
    assert parsers.parse_datetime(59).date() == dt.date(1900, 2, 28)
    with pytest.raises(ParseError) as err:
        parsers.parse_datetime(60)  # Excel's 1900-02-29, a day that never was
    assert err.value.code == "invalid_datetime"
    assert parsers.parse_datetime(61).date() == dt.date(1900, 3, 1)
    assert parsers.parse_datetime(43836.5).replace(tzinfo=None) == dt.datetime(2020, 1, 6, 12)
    assert parsers.parse_datetime("43836.25").replace(tzinfo=None) == dt.datetime(2020, 1, 6, 6)
    assert parsers.parse_datetime(0, date1904=True).date() == dt.date(1904, 1, 1)
    for bad in (0, -1, 1e12, float("nan"), float("inf")):
        with pytest.raises(ParseError):
            parsers.parse_datetime(bad)


def test_dates_chinese_exports_use_and_hints() -> None:
    expect = dt.datetime(2020, 1, 6, 12, 9, 38, tzinfo=SHANGHAI)
    assert parsers.parse_datetime("2020/1/6 12:09:38") == expect
    assert parsers.parse_datetime("2020-01-06") == dt.datetime(2020, 1, 6, tzinfo=SHANGHAI)
    assert parsers.parse_datetime("2020年1月6日").date() == dt.date(2020, 1, 6)
    assert parsers.parse_datetime("20200106").date() == dt.date(2020, 1, 6)
    assert parsers.parse_datetime("06/01/2020 12:09", formats=["%d/%m/%Y %H:%M"]) == \
        dt.datetime(2020, 1, 6, 12, 9, tzinfo=SHANGHAI)
    assert parsers.parse_datetime("2020-01-06T04:09:38Z") == expect
    for bad in ("2020-02-30", "2020/13/1", "昨天", "2020-01-06 25:00", "43836", ""):
        with pytest.raises(ParseError):
            parsers.parse_datetime(bad, serials=False)


# --- ID-card numbers ---------------------------------------------------------------------------

id_bodies = st.builds(
    lambda region, born, seq: f"{region}{born:%Y%m%d}{seq:03}",
    st.integers(110000, 829999).map(str),
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2024, 12, 31)),
    st.integers(0, 999),
)


@given(id_bodies)
def test_generated_valid_ids_parse(body: str) -> None:
    number = body + parsers.id_check_digit(body)
    assert parsers.parse_id_card(number) == number
    assert parsers.parse_id_card(number.lower()) == number


@given(id_bodies, st.integers(0, 17), st.integers(1, 9))
def test_a_changed_digit_fails_the_check(body: str, position: int, delta: int) -> None:
    number = body + parsers.id_check_digit(body)
    chars = "0123456789X" if position == 17 else "0123456789"
    old = number[position]
    new = chars[(chars.index(old) + delta) % len(chars)]
    changed = number[:position] + new + number[position + 1:]
    with pytest.raises(ParseError):
        parsers.parse_id_card(changed)


def test_legacy_15_digit_ids_are_widened() -> None:
    assert parsers.parse_id_card("110105491231002") == "11010519491231002X"
    assert parsers.parse_id_card("11010519491231002x") == "11010519491231002X"
    with pytest.raises(ParseError) as err:
        parsers.parse_id_card("110105194912310021")
    assert err.value.code == "id_card_checksum"
    with pytest.raises(ParseError):
        parsers.parse_id_card("110105194902300027")  # 2月30日


# --- phone numbers -----------------------------------------------------------------------------

mobiles = st.from_regex(r"\A1[3-9][0-9]{9}\Z")
landlines = st.builds(lambda area, number: (area, number),
                      st.sampled_from(["010", "021", "029", "0951", "0952", "0755"]),
                      st.from_regex(r"\A[2-8][0-9]{6,7}\Z"))


@given(mobiles, st.sampled_from(["{}", "+86{}", "+86 {}", "0086{}", "86{}", "{0}-{1}-{2}"]))
def test_mobile_round_trip(number: str, shape: str) -> None:
    text = shape.format(number[:3], number[3:7], number[7:]) if "{0}" in shape else shape.format(number)
    assert parsers.parse_phone(text) == number


@given(landlines, st.sampled_from(["{a}-{n}", "({a}){n}", "{a} {n}", "+86 {b} {n}", "{a}{n}"]),
       st.one_of(st.none(), st.from_regex(r"\A[1-9][0-9]{0,4}\Z")))
def test_landline_round_trip(parts: tuple[str, str], shape: str, ext: str | None) -> None:
    area, number = parts
    text = shape.format(a=area, n=number, b=area[1:])
    expect = f"{area}-{number}"
    if ext:
        text += f"转{ext}"
        expect += f"-{ext}"
    assert parsers.parse_phone(text) == expect
    assert parsers.parse_phone(expect) == expect


def test_bad_phones() -> None:
    for bad in ("12345", "5012345", "1381234567", "+1 650 555 0100", "138123456789", "电话"):
        with pytest.raises(ParseError) as err:
            parsers.parse_phone(bad)
        assert err.value.code in {"invalid_phone", "empty"}
    assert parsers.mask_phone("13812345678") == "138****5678"


# --- coordinates -------------------------------------------------------------------------------

lngs = st.floats(min_value=-180, max_value=180, allow_nan=False)
lats = st.floats(min_value=-90, max_value=90, allow_nan=False)


@given(lngs, lats)
def test_decimal_coordinates_round_trip(lng: float, lat: float) -> None:
    text = f"{lng:.6f},{lat:.6f}"
    got = parsers.parse_coordinates(text)
    assert got == (float(f"{lng:.6f}"), float(f"{lat:.6f}"))


@given(lngs, lats, st.booleans())
def test_dms_round_trip_either_order(lng: float, lat: float, lat_first: bool) -> None:
    a, b = parsers.format_dms(lng, "lng"), parsers.format_dms(lat, "lat")
    got_lng, got_lat = parsers.parse_coordinates(f"{b} {a}" if lat_first else f"{a}, {b}")
    assert abs(got_lng - lng) < 1e-5 and abs(got_lat - lat) < 1e-5


def test_coordinates_examples() -> None:
    assert parsers.parse_coordinates("106.4,39.0") == (106.4, 39.0)
    lng, lat = parsers.parse_coordinates("39°0′12″N 106°24′E")
    assert lng == pytest.approx(106.4) and lat == pytest.approx(39.00333333)
    lng, lat = parsers.parse_coordinates("北纬39度0分12秒，东经106度24分")
    assert lng == pytest.approx(106.4) and lat == pytest.approx(39.00333333)
    for bad in ("106.4", "200,39", "39°N,40°N", "106°61′E,39N", "abc,def"):
        with pytest.raises(ParseError):
            parsers.parse_coordinates(bad)


# --- nothing but ParseError --------------------------------------------------------------------

ALL = [parsers.parse_coordinates, parsers.parse_coordinate, parsers.parse_id_card,
       parsers.parse_phone, parsers.parse_datetime, parsers.parse_date]
noise = st.one_of(
    st.text(max_size=60),
    st.text(alphabet="0123456789/-:.年月日时分秒 T+Z°′″NSEW北南东西,，转x()", max_size=40),
    st.from_regex(r"\A\d{1,4}[-/]\d{1,3}[-/]\d{1,3}( \d{1,3}:\d{1,3}(:\d{1,3})?)?\Z"),
    st.floats(allow_nan=True, allow_infinity=True), st.integers(), st.none(),
)


@settings(max_examples=300)
@given(noise)
def test_parsers_raise_only_parse_error(value: object) -> None:
    for parse in ALL:
        try:
            parse(value)
        except ParseError as exc:
            assert exc.code and exc.message
            assert any("\u4e00" <= ch <= "\u9fff" for ch in exc.message)


@pytest.mark.skipif(not FUJIAN3.exists(), reason="../shared/data/tipdm2020_c is not on this machine")
def test_every_timestamp_of_the_real_export_parses() -> None:
    """附件3 留言时间: mostly ``2019/2/28 11:25:05``, and 129 ``2019-08-01 00:00:00`` cells."""
    with FUJIAN3.open(encoding="utf-8-sig", newline="") as fh:
        cells = [row["留言时间"] for row in csv.DictReader(fh)]
    iso_like = [c for c in cells if "-" in c]
    assert len(iso_like) == 129
    parsed = [parsers.parse_datetime(c) for c in cells]
    assert all(p.year in (2017, 2018, 2019, 2020) for p in parsed)
    assert len(parsed) == 4326
