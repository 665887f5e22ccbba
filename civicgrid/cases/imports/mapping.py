"""Which column of an export holds what: the default mapping of a typical 12345 export, and
mapping files (JSON, docs/import-cases.md) that override it."""

from __future__ import annotations

import json
from collections.abc import Mapping as MappingType
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from civicgrid.cases.models import Channel, Urgency
from civicgrid.core.errors import ValidationFailed

# field → header names tried in order (the first one present in the file wins)
DEFAULT_COLUMNS: dict[str, tuple[str, ...]] = {
    "source_ref": ("工单编号", "工单号", "受理编号", "编号"),
    "reported_at": ("来电时间", "受理时间", "登记时间", "创建时间"),
    "title": ("标题", "诉求标题", "工单标题"),
    "description": ("诉求内容", "问题描述", "来电内容", "内容"),
    "category": ("问题分类", "诉求分类", "事项分类"),
    "area": ("被反映区/街道", "被反映区街道", "所属街道", "区域"),
    "address": ("地址", "事发地址", "诉求地址"),
    "phone": ("联系电话", "来电号码", "联系方式"),
    "reporter_name": ("来电人", "联系人", "诉求人"),
    "location": ("经纬度", "坐标"),
    "lng": ("经度",),
    "lat": ("纬度",),
    "urgency": ("紧急程度",),
    "status": ("办理状态", "工单状态"),
    "closed_at": ("办结时间",),
}
FIELDS = frozenset(DEFAULT_COLUMNS)
URGENCY_NAMES = {label: value for value, label in Urgency.choices} | {v: v for v in Urgency.values}


@dataclass(frozen=True)
class Mapping:
    source: str = "12345"  # the source system: with the work-order number, the upsert key
    channel: str = Channel.HOTLINE
    root_area: str = ""  # names of districts/streets are looked up below this area
    columns: dict[str, tuple[str, ...]] = field(default_factory=lambda: dict(DEFAULT_COLUMNS))
    categories: dict[str, str] = field(default_factory=dict)  # export's name → our code
    default_category: str | None = None
    date_formats: tuple[str, ...] = ()  # strptime patterns tried before the built-in ones
    excel_serials: bool = True  # bare numbers in a date column are Excel serials
    closed_values: tuple[str, ...] = ()  # status values meaning "finished": import as closed
    title_length: int = 30  # no title column: the description's first characters
    crs: str = "wgs84"
    sheet: str | None = None  # .xlsx: the sheet to read (default: the first)

    def with_source(self, source: str | None) -> Mapping:
        return replace(self, source=source) if source else self


def _names(value: Any, key: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ValidationFailed(f"映射文件 columns.{key} 应为列名或列名数组。", code="invalid_mapping")


def from_dict(data: MappingType[str, Any]) -> Mapping:
    """A mapping file's content → ``Mapping`` (unknown keys are refused, not ignored)."""
    if not isinstance(data, MappingType):
        raise ValidationFailed("映射文件应为 JSON 对象。", code="invalid_mapping")
    known = {"source", "channel", "root_area", "columns", "replace_columns", "categories",
             "default_category", "date_formats", "excel_serials", "closed_values",
             "title_length", "crs", "sheet", "comment"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ValidationFailed(f"映射文件含未知项：{', '.join(unknown)}。", code="invalid_mapping",
                               fields={k: ["未知"] for k in unknown})
    columns = {} if data.get("replace_columns") else dict(DEFAULT_COLUMNS)
    raw_columns = data.get("columns") or {}
    if not isinstance(raw_columns, MappingType):
        raise ValidationFailed("映射文件 columns 应为对象。", code="invalid_mapping")
    for key, value in raw_columns.items():
        if key not in FIELDS:
            raise ValidationFailed(f"映射文件 columns 含未知字段：{key}。", code="invalid_mapping")
        columns[key] = () if value is None else _names(value, key)
    channel = str(data.get("channel") or Channel.HOTLINE)
    if channel not in Channel.values:
        raise ValidationFailed(f"映射文件 channel 无效：{channel}。", code="invalid_mapping")
    categories = data.get("categories") or {}
    if not isinstance(categories, MappingType) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in categories.items()):
        raise ValidationFailed("映射文件 categories 应为「名称: 编码」对象。", code="invalid_mapping")
    crs = str(data.get("crs") or "wgs84")
    if crs not in ("wgs84", "gcj02"):
        raise ValidationFailed("映射文件 crs 只能是 wgs84 或 gcj02。", code="invalid_mapping")
    try:
        title_length = int(data.get("title_length", 30))
    except (TypeError, ValueError):
        title_length = 0
    if not 1 <= title_length <= 120:
        raise ValidationFailed("映射文件 title_length 应为 1–120。", code="invalid_mapping")
    return Mapping(
        source=str(data.get("source") or "12345")[:64], channel=channel,
        root_area=str(data.get("root_area") or ""), columns=columns,
        categories=dict(categories), default_category=data.get("default_category") or None,
        date_formats=tuple(str(f) for f in data.get("date_formats") or ()),
        excel_serials=bool(data.get("excel_serials", True)),
        closed_values=tuple(str(v) for v in data.get("closed_values") or ()),
        title_length=title_length, crs=crs, sheet=data.get("sheet") or None,
    )


def loads(text: str | bytes) -> Mapping:
    try:
        data = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationFailed(f"映射文件不是有效的 JSON：{exc}", code="invalid_mapping") from None
    return from_dict(data)


def load(path: str | Path) -> Mapping:
    try:
        return loads(Path(path).read_bytes())
    except OSError as exc:
        raise ValidationFailed(f"无法读取映射文件：{exc}", code="invalid_mapping") from None
