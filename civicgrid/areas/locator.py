"""Point → grid: an in-memory shapely STRtree over the current grid polygons.

The index is built lazily on first use and rebuilt when grids change: in this process at
once (signals call ``invalidate``), in other processes when they notice that the stored
``GridIndexVersion`` moved (checked at most every ``RECHECK_SECONDS``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Sequence

import numpy as np
import shapely
from shapely import STRtree
from shapely.geometry import shape

RECHECK_SECONDS = 5.0


class GridIndex:
    """An immutable index over (code, polygon) pairs."""

    def __init__(self, items: Iterable[tuple[str, shapely.Geometry]]) -> None:
        codes: list[str] = []
        geoms: list[shapely.Geometry] = []
        for code, geom in items:
            codes.append(code)
            geoms.append(geom)
        self.codes: list[str] = codes
        self.geoms = np.array(geoms, dtype=object)
        shapely.prepare(self.geoms)
        self.tree = STRtree(self.geoms)

    def __len__(self) -> int:
        return len(self.codes)

    def locate(self, lng: float, lat: float) -> str | None:
        """The code of the grid containing the point, or None (boundary points count as inside)."""
        hits = self.tree.query(shapely.Point(lng, lat), predicate="intersects")
        if len(hits) == 0:
            return None
        return self.codes[int(hits.min())]

    def locate_many(self, lngs: Sequence[float], lats: Sequence[float]) -> list[str | None]:
        points = shapely.points(np.asarray(lngs, dtype=float), np.asarray(lats, dtype=float))
        point_idx, geom_idx = self.tree.query(points, predicate="intersects")
        result: list[str | None] = [None] * len(points)
        # the first hit per point (lowest grid index) wins, as in ``locate``
        for p, g in zip(point_idx[::-1].tolist(), geom_idx[::-1].tolist(), strict=True):
            result[p] = self.codes[g]
        return result


_lock = threading.Lock()
_index: GridIndex | None = None
_index_version: int | None = None
_checked_at = 0.0


def _stored_version() -> int:
    from civicgrid.areas.models import GridIndexVersion

    row = GridIndexVersion.objects.filter(pk=1).values_list("version", flat=True).first()
    return int(row or 0)


def build_from_database() -> GridIndex:
    from civicgrid.areas.models import Grid

    rows = Grid.objects.current().order_by("code").values_list("code", "geometry")
    return GridIndex((code, shape(geometry)) for code, geometry in rows.iterator(chunk_size=2000))


def current_index() -> GridIndex:
    global _index, _index_version, _checked_at
    now = time.monotonic()
    if _index is not None and now - _checked_at < RECHECK_SECONDS:
        return _index
    with _lock:
        version = _stored_version()
        if _index is None or version != _index_version:
            _index = build_from_database()
            _index_version = version
        _checked_at = time.monotonic()
        return _index


def invalidate() -> None:
    """Forget the index in this process; the next lookup rebuilds it."""
    global _index, _checked_at
    with _lock:
        _index = None
        _checked_at = 0.0


def locate(lng: float, lat: float) -> str | None:
    """WGS-84 point → code of the current grid that contains it."""
    return current_index().locate(lng, lat)
