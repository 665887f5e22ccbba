"""Read a GeoJSON FeatureCollection of grids into ``GridFeature`` rows.

Each feature needs ``properties.code`` (15 digits: 12-digit village code + 3-digit sequence),
``properties.name`` and a Polygon or MultiPolygon geometry. Coordinates are WGS-84 unless
the file says otherwise (top-level ``"crs": "gcj02"`` or a GeoJSON-2008 ``crs`` object whose
name mentions GCJ-02) or the caller passes ``crs="gcj02"``; GCJ-02 is converted to WGS-84.

Feature-level problems are collected on each feature (never raised one by one), so the
service can report every bad feature together with the database checks.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import shape
from shapely.validation import explain_validity

from civicgrid.areas.coords import gcj02_to_wgs84
from civicgrid.core.errors import ValidationFailed

GRID_CODE_RE = re.compile(r"^\d{15}$")
CRS_WGS84 = "wgs84"
CRS_GCJ02 = "gcj02"
SUPPORTED_CRS = (CRS_WGS84, CRS_GCJ02)


@dataclass
class GridFeature:
    index: int  # position in the file's ``features`` array (0-based)
    code: str
    name: str
    geometry: shapely.Geometry | None
    problems: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"第 {self.index + 1} 个要素（features[{self.index}]，编码 {self.code or '缺失'}）"

    @property
    def village_code(self) -> str:
        return self.code[:12]


def normalise_crs(value: Any) -> str:
    """Map a CLI value or a GeoJSON ``crs`` member to ``wgs84`` / ``gcj02``."""
    if value is None:
        return CRS_WGS84
    if isinstance(value, dict):
        value = (value.get("properties") or {}).get("name", "")
    text = str(value).strip().lower().replace("-", "").replace("_", "")
    if "gcj" in text:
        return CRS_GCJ02
    if text in ("", "wgs84", "crs84", "epsg4326", "cgcs2000", "epsg4490") or text.endswith(
        ("crs84", "4326", "4490")
    ):
        return CRS_WGS84
    raise ValidationFailed(f"不支持的坐标系：{value}（支持 wgs84、gcj02）", code="unsupported_crs")


def _gcj_to_wgs_coords(coords: np.ndarray) -> np.ndarray:
    out = np.empty_like(coords)
    for i, (lng, lat) in enumerate(coords.tolist()):
        out[i] = gcj02_to_wgs84(lng, lat)
    return out


def geometry_problem(geom: shapely.Geometry) -> str | None:
    """Why a grid polygon is unacceptable, or None."""
    if geom.geom_type not in ("Polygon", "MultiPolygon"):
        return f"几何类型为 {geom.geom_type}，应为 Polygon 或 MultiPolygon"
    if geom.is_empty:
        return "多边形为空"
    minx, miny, maxx, maxy = geom.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        return "坐标超出经纬度范围（应为 经度,纬度 顺序的 WGS-84 度数）"
    if not geom.is_valid:
        return f"多边形无效（自相交或结构错误）：{explain_validity(geom)}"
    if geom.area <= 0:
        return "多边形面积为 0"
    return None


def parse_geometry(data: Any, *, crs: str = CRS_WGS84) -> tuple[shapely.Geometry | None, str | None]:
    """GeoJSON geometry dict → (shapely geometry in WGS-84, problem)."""
    if not isinstance(data, dict) or data.get("type") not in ("Polygon", "MultiPolygon"):
        kind = data.get("type") if isinstance(data, dict) else type(data).__name__
        return None, f"几何类型为 {kind}，应为 Polygon 或 MultiPolygon"
    try:
        geom = shape(data)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
        return None, f"几何结构错误：{exc}"
    except shapely.errors.GEOSException as exc:
        return None, f"几何结构错误：{exc}"
    if crs == CRS_GCJ02:
        geom = shapely.transform(geom, _gcj_to_wgs_coords)
    problem = geometry_problem(geom)
    return (None, problem) if problem else (geom, None)


def geometry_to_geojson(geom: shapely.Geometry) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(shapely.to_geojson(geom))
    return data


def parse_grids_data(data: Any, *, crs: str | None = None) -> list[GridFeature]:
    if isinstance(data, dict) and data.get("type") == "Feature":
        data = {"type": "FeatureCollection", "features": [data]}
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise ValidationFailed("文件不是 GeoJSON FeatureCollection。", code="not_geojson")
    raw_features = data.get("features")
    if not isinstance(raw_features, list):
        raise ValidationFailed("GeoJSON 缺少 features 数组。", code="not_geojson")
    use_crs = normalise_crs(crs if crs is not None else data.get("crs"))
    features: list[GridFeature] = []
    first_by_code: dict[str, int] = {}
    for index, raw in enumerate(raw_features):
        props = raw.get("properties") if isinstance(raw, dict) else None
        props = props if isinstance(props, dict) else {}
        code_value = props.get("code")
        code = str(code_value).strip() if isinstance(code_value, str | int) else ""
        name = str(props.get("name") or "").strip()
        feature = GridFeature(index=index, code=code, name=name, geometry=None)
        if not code:
            feature.problems.append("缺少 properties.code")
        elif not GRID_CODE_RE.match(code):
            feature.problems.append(f"网格编码 {code} 应为 15 位数字（12 位村/社区代码 + 3 位序号）")
        elif code in first_by_code:
            feature.problems.append(f"网格编码与第 {first_by_code[code] + 1} 个要素重复")
        else:
            first_by_code[code] = index
        if not name:
            feature.problems.append("缺少 properties.name")
        elif len(name) > 100:
            feature.problems.append("名称超过 100 个字符")
        geom, problem = parse_geometry(raw.get("geometry") if isinstance(raw, dict) else None,
                                       crs=use_crs)
        feature.geometry = geom
        if problem:
            feature.problems.append(problem)
        features.append(feature)
    return features


def read_grids_geojson(path: str | Path, *, crs: str | None = None) -> list[GridFeature]:
    file = Path(path)
    if not file.is_file():
        raise ValidationFailed(f"文件不存在：{file}", code="file_not_found")
    try:
        data = json.loads(file.read_bytes().decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValidationFailed(f"GeoJSON 解析失败：{exc}", code="not_geojson") from None
    return parse_grids_data(data, crs=crs)
