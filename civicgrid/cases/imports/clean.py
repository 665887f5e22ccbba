"""One export row → a ``Row`` ready to write, or a ``Rejected`` with its reason."""

from __future__ import annotations

import datetime as dt
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from civicgrid.areas.coords import gcj02_to_wgs84
from civicgrid.areas.models import Area, AreaLevel
from civicgrid.cases.imports.mapping import URGENCY_NAMES, Mapping
from civicgrid.cases.models import Category
from civicgrid.core import parsers
from civicgrid.core.errors import ValidationFailed
from civicgrid.core.parsers import ParseError

CATEGORY_SPLIT = re.compile(r"\s*(?:->|→|>|/|\\|－>)\s*")
MAX_DESCRIPTION = 20_000
TEXT_FIELDS = ("source_ref", "description", "title", "phone", "category",
               "urgency", "address", "area", "status", "reporter_name")


@dataclass(slots=True)
class Row:
    number: int
    source_ref: str
    reported_at: dt.datetime
    title: str
    description: str
    category: Category | None
    urgency: str
    address: str
    phone: str
    reporter_name: str
    lng: float | None
    lat: float | None
    area_code: str  # named district/street/village, or the import's root
    closed_at: dt.datetime | None  # set: the export says the work order is finished


@dataclass(frozen=True)
class Rejected:
    number: int
    source_ref: str
    code: str
    reason: str


class RowError(Exception):
    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code, self.reason = code, reason


class Cleaner:
    """Everything a row is checked against, loaded once per import."""

    def __init__(self, mapping: Mapping, headers: list[str], root: Area,
                 now: dt.datetime) -> None:
        self.mapping, self.root, self.now = mapping, root, now
        position = {h: i for i, h in reversed(list(enumerate(headers))) if h}
        self.columns: dict[str, int] = {}
        for name, candidates in mapping.columns.items():
            for header in candidates:
                if header in position:
                    self.columns[name] = position[header]
                    break
        if "source_ref" not in self.columns:
            raise ValidationFailed("找不到工单编号列（source_ref），请检查列名或映射文件。",
                                   code="missing_column", fields={"source_ref": ["缺少列"]})
        if "description" not in self.columns and "title" not in self.columns:
            raise ValidationFailed("找不到诉求内容列（description），请检查列名或映射文件。",
                                   code="missing_column", fields={"description": ["缺少列"]})
        self._load_categories()
        self._load_areas()
        self._text_positions = [self.columns.get(name, -1) for name in TEXT_FIELDS]
        self._width = max(self._text_positions) + 1
        # the text cells of a row padded to ``_width`` and with "" appended (a missing column: -1)
        self._texts = operator.itemgetter(*self._text_positions)
        self._has_lng_lat = "lng" in self.columns or "lat" in self.columns
        self._categories: dict[str, Category | None] = {}
        self._places: dict[tuple[str, str], str] = {}
        # _cached_when: a day's midnight (None: not a day of that form, or before 1992) and a
        # clock's time since midnight (None: not a clock of that form)
        self._days: dict[str, dt.datetime | None] = {}
        self._clocks: dict[str, dt.timedelta | None] = {}
        # a later reported_at is in the future; in UTC+8 as _cached_when's times, which compare
        # with it field by field (times in two time zones compare through their UTC offsets)
        self._latest = (now + dt.timedelta(days=1)).astimezone(parsers.UTC8)

    # --- reference data ----------------------------------------------------------------------

    def _load_categories(self) -> None:
        cats = list(Category.objects.filter(is_active=True).select_related("parent"))
        self.by_code = {c.code: c for c in cats}
        self.by_name: dict[str, Category] = {}
        for c in sorted(cats, key=lambda c: c.parent_id is None):  # a 小类 before a 大类 of one name
            self.by_name.setdefault(c.name, c)
        for name, code in self.mapping.categories.items():
            if code not in self.by_code:
                raise ValidationFailed(f"映射文件中的分类编码 {code}（{name}）不存在。",
                                       code="unknown_category")
        self.default_category = None
        if self.mapping.default_category:
            self.default_category = self.by_code.get(self.mapping.default_category)
            if self.default_category is None:
                raise ValidationFailed(f"默认分类 {self.mapping.default_category} 不存在。",
                                       code="unknown_category")

    def _load_areas(self) -> None:
        rows = Area.objects.filter(code__startswith=self.root.code).values_list(
            "name", "code", "level")
        self.area_by_name: dict[str, str] = {}
        for name, code, level in sorted(rows, key=lambda r: len(r[1])):
            if code == self.root.code or not name:
                continue
            self.area_by_name.setdefault(name, code)
            short = re.sub(r"(街道办事处|街道|社区居委会|居委会|村委会|社区|镇|乡|村)$", "", name)
            if len(short) >= 2 and level != AreaLevel.COUNTY:
                self.area_by_name.setdefault(short, code)
        names = sorted(self.area_by_name, key=len, reverse=True)
        self.area_pattern = re.compile("|".join(map(re.escape, names))) if names else None

    # --- one row -----------------------------------------------------------------------------

    def _cell(self, cells: list[Any], name: str) -> Any:
        i = self.columns.get(name)
        if i is None or i >= len(cells):
            return None
        value = cells[i]
        if isinstance(value, str):
            value = value.strip()
            return value or None
        return value

    def _text(self, cells: list[Any], name: str) -> str:
        value = self._cell(cells, name)
        if value is None:
            return ""
        if isinstance(value, float) and value.is_integer():
            value = int(value)  # a work-order number Excel stored as a number
        return str(value).replace("\x00", "").strip()

    def _category(self, raw: str) -> Category | None:
        if not raw:
            return self.default_category
        code = self.mapping.categories.get(raw)
        if code:
            return self.by_code[code]
        parts = [p for p in CATEGORY_SPLIT.split(raw) if p]
        for part in reversed(parts):  # the most specific level the export names
            code = self.mapping.categories.get(part)
            if code:
                return self.by_code[code]
            found = self.by_code.get(part) or self.by_name.get(part)
            if found is not None:
                return found
        return self.default_category

    def _place(self, area_text: str, address: str) -> str:
        if self.area_pattern is None:
            return self.root.code
        if area_text:
            found = [self.area_by_name[m] for m in self.area_pattern.findall(area_text)]
            if not found:
                raise RowError("unknown_area", f"被反映区/街道「{area_text}」不在 "
                                               f"{self.root.name} 范围内。")
            best = max(found, key=len)
        else:
            best = self.root.code
        # the address may name a village or street inside the named area
        for match in self.area_pattern.findall(address):
            code = self.area_by_name[match]
            if code.startswith(best) and len(code) > len(best):
                best = code
        return best

    def _point(self, cells: list[Any]) -> tuple[float | None, float | None]:
        text = self._cell(cells, "location")
        lng_raw = lat_raw = None
        if self._has_lng_lat:
            lng_raw, lat_raw = self._cell(cells, "lng"), self._cell(cells, "lat")
        if text is None and lng_raw is None and lat_raw is None:
            return None, None
        m = _SIMPLE_POINT.match(text) if text.__class__ is str and len(text) <= 200 else None
        if m is not None and self.mapping.crs != "gcj02":
            lng, lat = float(m.group(1)), float(m.group(2))
            if -180 <= lng <= 180 and -90 <= lat <= 90:
                return lng, lat
        try:
            if text is not None:
                lng, lat = parsers.parse_coordinates(text)
            else:
                lng = parsers.parse_coordinate(lng_raw)[0]
                lat = parsers.parse_coordinate(lat_raw)[0]
                if not (-180 <= lng <= 180 and -90 <= lat <= 90):
                    raise ParseError("坐标超出范围。", code="coordinate_out_of_range")
        except ParseError as exc:
            raise RowError(exc.code, f"坐标：{exc.message}") from None
        if self.mapping.crs == "gcj02":
            lng, lat = gcj02_to_wgs84(lng, lat)
        return lng, lat

    def _when(self, cells: list[Any], name: str, label: str) -> dt.datetime | None:
        return self._parse_when(self._cell(cells, name), label)

    def _parse_when(self, value: Any, label: str) -> dt.datetime | None:
        if value is None:
            return None
        if value.__class__ is str and not self.mapping.date_formats:
            found = self._cached_when(value)
            if found is not None:
                return found
            m = _SIMPLE_DATETIME.match(value)
            if m is not None:
                try:
                    return dt.datetime(*map(int, filter(None, m.groups())),  # type: ignore[misc]
                                       tzinfo=parsers.SHANGHAI)
                except ValueError:
                    pass  # e.g. 24:00 or 2月30日: the parser's answer
        try:
            return parsers.parse_datetime(value, formats=self.mapping.date_formats,
                                          serials=self.mapping.excel_serials)
        except ParseError as exc:
            raise RowError(exc.code, f"{label}：{exc.message}") from None

    def _cached_when(self, value: str) -> dt.datetime | None:
        """``2020/1/6 12:09:38`` or ``2020-01-06``, with the day and the clock each parsed once
        per import (an export repeats them over and over); None: ask the regular path.

        The day's midnight is in ``parsers.UTC8``: the same instants as Asia/Shanghai since its
        last summer time (1991), and cheaper to build, compare and store than a zoneinfo time
        (which looks its offset up on every use); earlier days take the regular path."""
        day, space, clock = value.partition(" ")
        midnight = self._days.get(day, _UNSEEN)
        if midnight is _UNSEEN:
            midnight = _kept(self._days, day, _midnight)
        if midnight is None:
            return None
        if not space:
            return midnight
        since = self._clocks.get(clock, _UNSEEN)
        if since is _UNSEEN:
            since = _kept(self._clocks, clock, _clock)
        return None if since is None else midnight + since

    def clean(self, number: int, cells: list[Any]) -> Row:
        if cells and isinstance(cells[0], ValueError):
            raise RowError("invalid_row", str(cells[0]))
        short = self._width - len(cells)
        # the text cells once, as ``_text`` reads them
        (ref, description, title, phone, category_text, urgency_text, address,
         area_text, status, reporter_name) = [
            v.strip() if v.__class__ is str and "\x00" not in v else _plain(v)
            for v in self._texts([*cells, *[""] * short, ""] if short > 0 else [*cells, ""])]
        if not ref:
            raise RowError("required", "缺少工单编号。")
        if len(ref) > 64:
            raise RowError("too_long", "工单编号超过 64 个字符。")
        if not description:
            if not title:
                raise RowError("required", "缺少诉求内容。")
            description = title
        if len(description) > MAX_DESCRIPTION:
            raise RowError("too_long", f"诉求内容超过 {MAX_DESCRIPTION} 字。")
        title = " ".join((title or description[:self.mapping.title_length]).split())[:120]
        reported_at = self._when(cells, "reported_at", "来电时间") or self.now
        if reported_at > self._latest:
            raise RowError("invalid_datetime", "来电时间在未来。")
        if phone:
            if len(phone) == 11 and _MOBILE.match(phone):  # the usual case, as parse_phone answers
                pass
            else:
                try:
                    phone = parsers.parse_phone(phone)
                except ParseError as exc:
                    raise RowError(exc.code, f"联系电话：{exc.message}") from None
        category = self._categories.get(category_text, _UNSEEN)
        if category is _UNSEEN:
            category = self._categories[category_text] = self._category(category_text)
        urgency = URGENCY_NAMES.get(urgency_text) if urgency_text else None
        if urgency_text and urgency is None:
            raise RowError("invalid_urgency", f"紧急程度「{urgency_text}」无效。")
        address = address[:200]
        lng, lat = self._point(cells)
        place_key = (area_text, address)
        area_code = self._places.get(place_key)
        if area_code is None:
            if len(self._places) > 100_000:
                self._places.clear()
            area_code = self._places[place_key] = self._place(area_text, address)
        closed_at = None
        if status and status in self.mapping.closed_values:
            closed_at = self._when(cells, "closed_at", "办结时间") or reported_at
        return Row(number=number, source_ref=ref, reported_at=reported_at, title=title,
                   description=description, category=category,
                   urgency=urgency or (category.urgency if category else "normal"),
                   address=address, phone=phone[:32], reporter_name=reporter_name[:64],
                   lng=lng, lat=lat, area_code=area_code, closed_at=closed_at)


_UNSEEN: Any = object()
_MOBILE = re.compile(r"^1[3-9]\d{9}$", re.ASCII)
# "2020/1/6 12:09:38", "2020-01-06 12:09:38", "2020-01-06": read here; anything else (and any
# value these do not build) goes to parsers.parse_datetime, which answers the same for these
_SIMPLE_DATETIME = re.compile(r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?: (\d{1,2}):(\d{2}):(\d{2}))?$",
                              re.ASCII)
_DAY = re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})", re.ASCII)  # what _SIMPLE_DATETIME reads
_CLOCK = re.compile(r"(\d{1,2}):(\d{2}):(\d{2})", re.ASCII)
# "106.2456,38.9639": decimal degrees as parse_coordinates reads them; anything else goes there
_SIMPLE_POINT = re.compile(r"^([+-]?\d{1,3}(?:\.\d+)?)\s*,\s*([+-]?\d{1,3}(?:\.\d+)?)$", re.ASCII)


_T = TypeVar("_T")


def _kept(cache: dict[str, _T], text: str, parse: Callable[[str], _T]) -> _T:
    """``parse(text)``, kept in ``cache`` (bounded: emptied past 100,000 entries)."""
    if len(cache) > 100_000:
        cache.clear()
    found = cache[text] = parse(text)
    return found


def _midnight(text: str) -> dt.datetime | None:
    """The start of the day ``text`` names as ``2020/1/6`` or ``2020-01-06``, in UTC+8, from 1992
    on; None for anything else."""
    m = _DAY.fullmatch(text)
    if m is None or int(m.group(1)) < 1992:
        return None
    try:
        return dt.datetime(*map(int, m.groups()), tzinfo=parsers.UTC8)  # type: ignore[misc]
    except ValueError:
        return None  # 2月30日: the parser's answer


def _clock(text: str) -> dt.timedelta | None:
    """The time since midnight of ``text`` as ``12:09:38``; None for anything else or a time
    that is no time of a day (24:00:00, 12:60:00: the parser's answer)."""
    m = _CLOCK.fullmatch(text)
    if m is None:
        return None
    hours, minutes, seconds = map(int, m.groups())
    if hours < 24 and minutes < 60 and seconds < 60:
        return dt.timedelta(0, hours * 3600 + minutes * 60 + seconds)
    return None


def _plain(value: Any) -> str:
    """A cell as text, as ``Cleaner._text`` reads it."""
    if value.__class__ is str:
        if "\x00" in value:
            return value.replace("\x00", "").strip()
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a work-order number Excel stored as a number
    return str(value).replace("\x00", "").strip()
