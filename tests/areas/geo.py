"""Test geometry helpers: a lattice of small squares around 30°N 100°E, far from the demo grids."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SHARED_DIVISIONS = Path("/work/shared/data/admin_divisions")
# a village of our own under 星海镇 (640202100), far from the demo grids (≈ 39°N 106.4°E)
VILLAGE_CODE = "640202100901"
BASE_LNG, BASE_LAT = 100.0, 30.0
STEP = 0.001  # ≈ 96 m × 111 m


def square(col: int, row: int, *, size: float = STEP, dx: float = 0.0) -> dict[str, Any]:
    """A GeoJSON square in the test lattice (column, row), shifted by ``dx`` degrees."""
    x0, y0 = BASE_LNG + col * STEP + dx, BASE_LAT + row * STEP
    ring = [[x0, y0], [x0 + size, y0], [x0 + size, y0 + size], [x0, y0 + size], [x0, y0]]
    return {"type": "Polygon", "coordinates": [ring]}


def feature(code: str, geometry: dict[str, Any], name: str = "") -> dict[str, Any]:
    return {"type": "Feature", "properties": {"code": code, "name": name or f"网格{code[-3:]}"},
            "geometry": geometry}


def write_geojson(path: Path, features: list[dict[str, Any]], **extra: Any) -> Path:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features, **extra},
                               ensure_ascii=False), encoding="utf-8")
    return path
