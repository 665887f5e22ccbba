"""Parsers for the values other systems hand us: coordinates, ID-card and phone numbers, dates.

Pure functions (no database, no settings). Each takes text as exported by Chinese systems
(12345 hotlines, Excel sheets, mini-programs) and returns one normalised value, or raises
``ParseError`` with a stable ``code`` and a Chinese message. Nothing else is ever raised,
whatever the input (tests/core/test_parsers.py holds that line with Hypothesis).

- ``parse_coordinates("106.4,39.0")`` → ``(106.4, 39.0)`` (lng, lat); degrees-minutes-seconds
  such as ``39°0′12″N 106°24′E`` or ``北纬39度0分12秒`` too.
- ``parse_id_card`` → 18 characters (GB 11643, ISO 7064 MOD 11-2 check digit, ``X`` upper
  case); a 15-digit legacy number is widened (``19`` + check digit).
- ``parse_phone`` → ``13812345678`` (mobile), ``0951-5012345`` (landline), ``…-123`` (extension).
- ``parse_datetime`` → an aware datetime; naive input is Asia/Shanghai. ``2020/1/6 12:09:38``,
  ``2020-01-06``, ``2020年1月6日``, ``20200106``, Excel serials (``43836.5``, 1900 leap-year
  quirk: serial 60 is the non-existent 1900-02-29).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Sequence
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Asia/Shanghai as a fixed offset: the same instants for times from 1992 on (its last summer
# time ended in September 1991)
UTC8 = dt.timezone(dt.timedelta(hours=8), "CST")
MAX_TEXT = 200  # longer input is no value of these kinds: refuse before any regex runs


class ParseError(ValueError):
    """A value that is not what it should be. ``code`` is stable, ``message`` Chinese."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def _text(value: object, what: str) -> str:
    if value is None:
        raise ParseError(f"{what}为空。", code="empty")
    text = str(value).strip().replace("\u3000", " ")
    if not text:
        raise ParseError(f"{what}为空。", code="empty")
    if len(text) > MAX_TEXT:
        raise ParseError(f"{what}过长。", code="too_long")
    return text


# --- coordinates -------------------------------------------------------------------------------

_DMS = re.compile(
    r"^\s*([NSEW北南东西]|北纬|南纬|东经|西经)?\s*"
    r"(\d{1,3}(?:\.\d+)?)\s*(?:°|度|º|˚)?\s*"
    r"(?:(\d{1,2}(?:\.\d+)?)\s*(?:′|'|分|’)\s*)?"
    r"(?:(\d{1,2}(?:\.\d+)?)\s*(?:″|\"|秒|”|'')\s*)?"
    r"([NSEW北南东西])?\s*$", re.IGNORECASE | re.ASCII)
_HEMI = {"N": ("lat", 1), "S": ("lat", -1), "E": ("lng", 1), "W": ("lng", -1), "北": ("lat", 1),
         "南": ("lat", -1), "东": ("lng", 1), "西": ("lng", -1), "北纬": ("lat", 1),
         "南纬": ("lat", -1), "东经": ("lng", 1), "西经": ("lng", -1)}
_DECIMAL = re.compile(r"^[+-]?\d{1,3}(?:\.\d+)?$", re.ASCII)
_SPLIT = re.compile(r"\s*[,，;；/]\s*|\s+(?=[+-]?\d|[NSEW北南东西])", re.IGNORECASE | re.ASCII)


def parse_coordinate(text: object) -> tuple[float, str | None]:
    """One decimal or DMS value → (degrees, "lat"/"lng"/None when no hemisphere is given)."""
    raw = _text(text, "坐标")
    if _DECIMAL.match(raw):
        return float(raw), None
    m = _DMS.match(raw)
    if m is None or (m.group(1) and m.group(5)):
        raise ParseError(f"无法识别的坐标：{raw}", code="invalid_coordinate")
    deg, minutes, seconds = float(m.group(2)), float(m.group(3) or 0), float(m.group(4) or 0)
    if minutes >= 60 or seconds >= 60:
        raise ParseError(f"分、秒须小于 60：{raw}", code="invalid_coordinate")
    hemi = (m.group(1) or m.group(5) or "").upper()
    axis, sign = _HEMI.get(hemi, (None, 1))
    return sign * (deg + minutes / 60 + seconds / 3600), axis


def parse_coordinates(text: object) -> tuple[float, float]:
    """"lng,lat" (decimal, or DMS with hemispheres in either order) → (lng, lat) in degrees."""
    raw = _text(text, "坐标")
    parts = [p for p in _SPLIT.split(raw) if p]
    if len(parts) != 2:
        raise ParseError(f"坐标应为「经度,纬度」：{raw}", code="invalid_coordinate")
    (a, axis_a), (b, axis_b) = parse_coordinate(parts[0]), parse_coordinate(parts[1])
    if axis_a == "lat" or axis_b == "lng":
        if axis_a == axis_b:
            raise ParseError(f"坐标给了两个{'纬' if axis_a == 'lat' else '经'}度：{raw}",
                             code="invalid_coordinate")
        a, b = b, a
    elif axis_a is not None and axis_a == axis_b:
        raise ParseError(f"坐标给了两个经度：{raw}", code="invalid_coordinate")
    lng, lat = a, b
    if not (-180 <= lng <= 180) or not (-90 <= lat <= 90):
        raise ParseError(f"坐标超出范围：{raw}", code="coordinate_out_of_range")
    return lng, lat


def format_dms(value: float, axis: str) -> str:
    """39.0033 → ``39°0′12″N`` (seconds rounded to 0.01)."""
    hemi = ("N" if value >= 0 else "S") if axis == "lat" else ("E" if value >= 0 else "W")
    total = round(abs(value) * 360000)  # hundredths of a second
    deg, rest = divmod(total, 360000)
    minutes, hundredths = divmod(rest, 6000)
    return f"{deg}°{minutes}′{hundredths / 100:g}″{hemi}"


# --- ID-card numbers (GB 11643-1999) -----------------------------------------------------------

_ID_WEIGHTS = [pow(2, 17 - i, 11) for i in range(17)]
_ID_CHECK = "10X98765432"  # check character by (sum of weighted digits) mod 11
_ID18 = re.compile(r"^[1-9]\d{16}[\dX]$", re.ASCII)
_ID15 = re.compile(r"^[1-9]\d{14}$", re.ASCII)


def id_check_digit(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character of the first 17 digits."""
    return _ID_CHECK[sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


def _birth_date(digits: str, raw: str) -> None:
    try:
        born = dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        raise ParseError(f"身份证号中的出生日期无效：{raw}", code="invalid_id_card") from None
    if born.year < 1850:
        raise ParseError(f"身份证号中的出生日期无效：{raw}", code="invalid_id_card")


def parse_id_card(text: object) -> str:
    """18-digit (or legacy 15-digit) resident ID number → 18 characters, check digit verified."""
    raw = _text(text, "身份证号")
    value = raw.replace(" ", "").upper()
    if _ID15.match(value):
        body = value[:6] + "19" + value[6:]
        _birth_date(body[6:14], raw)
        return body + id_check_digit(body)
    if not _ID18.match(value):
        raise ParseError(f"身份证号应为 18 位（或旧 15 位）：{raw}", code="invalid_id_card")
    _birth_date(value[6:14], raw)
    if id_check_digit(value[:17]) != value[17]:
        raise ParseError(f"身份证号校验位不符：{raw}", code="id_card_checksum")
    return value


# --- phone numbers -----------------------------------------------------------------------------

_EXT = re.compile(r"(?:转|分机|ext\.?|x|#|-)\s*(\d{1,6})$", re.IGNORECASE | re.ASCII)
_MOBILE = re.compile(r"^1[3-9]\d{9}$", re.ASCII)
_PHONE_CHARS = re.compile(r"[\s\-()（）—.]")
_THREE_DIGIT_AREAS = ("010", "020", "021", "022", "023", "024", "025", "026", "027", "028", "029")


def parse_phone(text: object) -> str:
    """Mobile → 11 digits; landline → ``area-number``; an extension → ``…-ext``."""
    raw = _text(text, "电话号码")
    value = raw
    if value.startswith("+"):
        value = value[1:]
        if not value.lstrip(" ").startswith("86"):
            raise ParseError(f"只支持中国大陆号码（+86）：{raw}", code="invalid_phone")
        value = "0086" + value.lstrip(" ")[2:]
    ext = ""
    landline_shape = re.match(r"^\(?0\d{2,3}\)?[\s\-—]\d{7,8}", value, re.ASCII)
    m = _EXT.search(value)
    if m is not None and (m.group(0)[0] != "-" or landline_shape):
        head = value[:m.start()]
        if re.search(r"\d{7}", _PHONE_CHARS.sub("", head), re.ASCII):
            ext, value = m.group(1), head
    digits = _PHONE_CHARS.sub("", value)
    if not digits.isdigit() or not digits.isascii():
        raise ParseError(f"电话号码含有无效字符：{raw}", code="invalid_phone")
    international = digits.startswith("0086")
    if international:
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13 and _MOBILE.match(digits[2:]):
        digits = digits[2:]
    if _MOBILE.match(digits):
        if ext:
            raise ParseError(f"手机号不能带分机号：{raw}", code="invalid_phone")
        return digits
    if international and not digits.startswith("0"):
        digits = "0" + digits
    if not digits.startswith("0") or digits.startswith("00"):
        raise ParseError(f"不是手机号，固定电话须带区号：{raw}", code="invalid_phone")
    area_len = 3 if digits.startswith(_THREE_DIGIT_AREAS) else 4
    area, number = digits[:area_len], digits[area_len:]
    if not (7 <= len(number) <= 8) or number.startswith(("0", "1")):
        raise ParseError(f"固定电话号码位数不对：{raw}", code="invalid_phone")
    return f"{area}-{number}" + (f"-{ext}" if ext else "")


def mask_phone(phone: str) -> str:
    """``13812345678`` → ``138****5678`` (for screens and reports)."""
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 8 else "****"


# --- dates and times ---------------------------------------------------------------------------

_YMD = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:(?:\s+|T|\s*日\s*)(\d{1,2})\s*[:：时]\s*(\d{1,2})\s*(?:[:：分]\s*(\d{1,2})(?:\.(\d{1,6}))?\s*秒?)?\s*分?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?$", re.ASCII)
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})(?:[\sT]?(\d{2})(\d{2})(\d{2})?)?$", re.ASCII)
_SERIAL = re.compile(r"^\d{1,7}(?:\.\d+)?$", re.ASCII)
EXCEL_MAX_SERIAL = 2958465  # 9999-12-31


def _aware(naive: dt.datetime, offset: str | None = None) -> dt.datetime:
    if offset is None:
        return naive.replace(tzinfo=SHANGHAI)
    if offset == "Z":
        return naive.replace(tzinfo=dt.UTC)
    sign = -1 if offset[0] == "-" else 1
    hours, minutes = int(offset[1:3]), int(offset[-2:])
    if hours > 23 or minutes > 59:
        raise ParseError(f"时区偏移无效：{offset}", code="invalid_datetime")
    return naive.replace(tzinfo=dt.timezone(sign * dt.timedelta(hours=hours, minutes=minutes)))


def _build(raw: str, parts: Sequence[str | None], offset: str | None = None) -> dt.datetime:
    try:
        year, month, day = int(parts[0] or 0), int(parts[1] or 0), int(parts[2] or 0)
        hour, minute, second = int(parts[3] or 0), int(parts[4] or 0), int(parts[5] or 0)
        micro = int((parts[6] or "0").ljust(6, "0")) if len(parts) > 6 else 0
        if hour == 24 and minute == 0 and second == 0 and micro == 0:  # "24:00" ends the day
            return _aware(dt.datetime(year, month, day) + dt.timedelta(days=1), offset)
        return _aware(dt.datetime(year, month, day, hour, minute, second, micro), offset)
    except ValueError:
        raise ParseError(f"日期或时间无效：{raw}", code="invalid_datetime") from None


def excel_serial_to_datetime(serial: float, *, date1904: bool = False) -> dt.datetime:
    """An Excel date serial (fraction = time of day) → aware datetime in Asia/Shanghai.

    The 1900 system counts 1900-01-01 as 1 and, copying Lotus 1-2-3, has a 1900-02-29
    (serial 60) that never existed: it is refused, and serials after it are one day off.
    """
    if isinstance(serial, bool) or not math.isfinite(serial):
        raise ParseError(f"Excel 日期序号无效：{serial}", code="invalid_datetime")
    day, fraction = divmod(serial, 1)
    seconds = round(fraction * 86400)
    if date1904:
        if not (0 <= serial <= EXCEL_MAX_SERIAL - 1462):
            raise ParseError(f"Excel 日期序号超出范围：{serial}", code="invalid_datetime")
        base = dt.datetime(1904, 1, 1)
    else:
        if not (1 <= serial <= EXCEL_MAX_SERIAL + 0.99999):
            raise ParseError(f"Excel 日期序号超出范围：{serial}", code="invalid_datetime")
        if int(day) == 60:
            raise ParseError("Excel 日期序号 60 是不存在的 1900-02-29。", code="invalid_datetime")
        base = dt.datetime(1899, 12, 31) if day < 60 else dt.datetime(1899, 12, 30)
    try:
        return (base + dt.timedelta(days=int(day), seconds=seconds)).replace(tzinfo=SHANGHAI)
    except OverflowError:
        raise ParseError(f"Excel 日期序号超出范围：{serial}", code="invalid_datetime") from None


def datetime_to_excel_serial(value: dt.datetime) -> float:
    """The inverse of ``excel_serial_to_datetime`` (1900 system; local wall time)."""
    naive = value.astimezone(SHANGHAI).replace(tzinfo=None) if value.tzinfo else value
    delta = naive - dt.datetime(1899, 12, 30)
    serial = delta.days + delta.seconds / 86400
    return serial if serial >= 61 else serial - 1


def parse_datetime(value: object, *, formats: Sequence[str] = (), date1904: bool = False,
                   serials: bool = True) -> dt.datetime:
    """Text (or a datetime/date/number from a spreadsheet cell) → aware datetime.

    ``formats``: ``strptime`` patterns tried first (a mapping's date hints). ``serials``: read
    bare numbers (``43836`` or ``43836.5``) as Excel date serials.
    """
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=SHANGHAI)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=SHANGHAI)
    if isinstance(value, int | float) and not isinstance(value, bool):
        if not serials:
            raise ParseError(f"无法识别的日期：{value}", code="invalid_datetime")
        return excel_serial_to_datetime(float(value), date1904=date1904)
    raw = _text(value, "日期")
    for fmt in formats:
        try:
            parsed = dt.datetime.strptime(raw, fmt)
        except ValueError:
            continue
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=SHANGHAI)
    m = _YMD.match(raw)
    if m is not None:
        return _build(raw, m.groups()[:7], m.group(8))
    m = _COMPACT.match(raw)
    if m is not None:
        return _build(raw, m.groups())
    if serials and _SERIAL.match(raw):
        return excel_serial_to_datetime(float(raw), date1904=date1904)
    raise ParseError(f"无法识别的日期：{raw}", code="invalid_datetime")


def parse_date(value: object, **kwargs: object) -> dt.date:
    """Like ``parse_datetime`` but only the (Asia/Shanghai) calendar day."""
    return parse_datetime(value, **kwargs).astimezone(SHANGHAI).date()  # type: ignore[arg-type]
