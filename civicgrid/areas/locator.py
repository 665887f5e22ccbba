"""Point → grid: an in-memory index over the current grid polygons.

Two layers answer the same question ("which grid contains this WGS-84 point; a point on a
boundary counts as inside; if several grids contain it, the first in index order wins"):

* a shapely ``STRtree`` with prepared polygons answers any point exactly;
* a *cell raster* answers most points without touching GEOS. The grids' extent is cut
  into square cells (about 7 per grid side); a cell lying wholly inside exactly one grid,
  and meeting no other, stores that grid; a cell meeting no grid stores "none"; only the
  remaining cells (those a grid boundary crosses) fall back to the tree. Cells are tested
  slightly enlarged, so rounding at a cell edge can never give a wrong answer.

The index is built lazily on first use and rebuilt when grids change: in this process at
once (signals call ``invalidate``), in other processes when they notice that the stored
``GridIndexVersion`` moved (checked at most every ``RECHECK_SECONDS``).
"""

from __future__ import annotations

import math
import threading
import time
from array import array
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import numpy as np
import shapely
from shapely import STRtree
from shapely.geometry import shape

if TYPE_CHECKING:
    from civicgrid.areas.models import Grid

RECHECK_SECONDS = 5.0
CELLS_PER_GRID = 49  # raster resolution: about 7 × 7 cells per (median) grid
MAX_CELLS = 4_000_000  # memory cap: 16 MB of int32 whatever the extent
MAX_CELLS_PER_GRID = 4 * CELLS_PER_GRID  # scattered grids get a coarse raster, not a huge one
CELL_EPSILON = 1e-9  # degrees (≈ 0.1 mm) added around each cell when classifying it

_EMPTY = -1  # no grid meets the cell
_MIXED = -2  # a boundary crosses the cell: ask the tree


class GridIndex:
    """An immutable index over (code, polygon) pairs."""

    def __init__(self, items: Iterable[tuple[str, shapely.Geometry]]) -> None:
        codes: list[str] = []
        geoms: list[shapely.Geometry] = []
        for code, geom in items:
            codes.append(code)
            geoms.append(geom)
        self.codes: list[str] = codes
        self.ids: dict[str, int] = {}  # code → Grid pk, when built from the database
        self._codes_or_none = np.array([*codes, None], dtype=object)  # index -1 → None
        self.geoms = np.array(geoms, dtype=object)
        shapely.prepare(self.geoms)
        self.tree = STRtree(self.geoms)
        self._build_raster()

    def __len__(self) -> int:
        return len(self.codes)

    # --- the raster -------------------------------------------------------------------------

    def _build_raster(self) -> None:
        self._cells: np.ndarray = np.zeros(0, dtype=np.int32)
        self._cell_list = array("i")
        self._ncx = self._ncy = 0
        self._x0 = self._y0 = 0.0
        self._size = 1.0
        if len(self.geoms) == 0:
            return
        bounds = shapely.bounds(self.geoms)
        x0, y0 = float(bounds[:, 0].min()), float(bounds[:, 1].min())
        x1, y1 = float(bounds[:, 2].max()), float(bounds[:, 3].max())
        side = float(np.median(np.sqrt((bounds[:, 2] - bounds[:, 0]) * (bounds[:, 3] - bounds[:, 1]))))
        size = side / math.sqrt(CELLS_PER_GRID)
        extent = max(x1 - x0, 1e-12) * max(y1 - y0, 1e-12)
        max_cells = min(MAX_CELLS, max(1024, MAX_CELLS_PER_GRID * len(self.geoms)))
        size = max(size, math.sqrt(extent / max_cells), 1e-7)
        # the same expression as the lookups, so the extent's far edge is always inside
        ncx, ncy = math.floor((x1 - x0) / size) + 1, math.floor((y1 - y0) / size) + 1
        while ncx * ncy > max_cells:
            size *= 1.1
            ncx, ncy = math.floor((x1 - x0) / size) + 1, math.floor((y1 - y0) / size) + 1
        ix, iy = np.meshgrid(np.arange(ncx), np.arange(ncy))
        ix, iy = ix.ravel(), iy.ravel()
        boxes = shapely.box(x0 + ix * size - CELL_EPSILON, y0 + iy * size - CELL_EPSILON,
                            x0 + (ix + 1) * size + CELL_EPSILON, y0 + (iy + 1) * size + CELL_EPSILON)
        cell_idx, geom_idx = self.tree.query(boxes, predicate="intersects")
        hits = np.bincount(cell_idx, minlength=len(boxes))
        cells = np.full(len(boxes), _MIXED, dtype=np.int32)
        cells[hits == 0] = _EMPTY
        single = hits[cell_idx] == 1
        one_cell, one_geom = cell_idx[single], geom_idx[single]
        covered = shapely.covers(self.geoms[one_geom], boxes[one_cell])
        cells[one_cell[covered]] = one_geom[covered]
        self._cells = cells
        self._cell_list = array("i", cells.tobytes())
        self._ncx, self._ncy, self._x0, self._y0, self._size = ncx, ncy, x0, y0, size

    @property
    def raster_stats(self) -> dict[str, float]:
        """Share of raster cells answered without GEOS (for the benchmark report)."""
        n = max(len(self._cells), 1)
        return {
            "cells": float(len(self._cells)),
            "inside": float((self._cells >= 0).sum()) / n,
            "empty": float((self._cells == _EMPTY).sum()) / n,
            "mixed": float((self._cells == _MIXED).sum()) / n,
        }

    # --- lookups ----------------------------------------------------------------------------

    def _exact(self, lng: float, lat: float) -> str | None:
        hits = self.tree.query(shapely.Point(lng, lat), predicate="intersects")
        if len(hits) == 0:
            return None
        return self.codes[int(hits.min())]

    def locate(self, lng: float, lat: float) -> str | None:
        """The code of the grid containing the point, or None (boundary points count as inside)."""
        try:
            cx = math.floor((lng - self._x0) / self._size)
            cy = math.floor((lat - self._y0) / self._size)
        except (ValueError, OverflowError):  # NaN or infinite coordinates
            return None
        if 0 <= cx < self._ncx and 0 <= cy < self._ncy:
            found = self._cell_list[cy * self._ncx + cx]
            if found >= 0:
                return self.codes[found]
            if found == _MIXED:
                return self._exact(lng, lat)
        return None  # an empty cell, or outside the extent of every grid

    def locate_indices(self, lngs: Sequence[float] | np.ndarray,
                       lats: Sequence[float] | np.ndarray) -> np.ndarray:
        """Like ``locate_many`` but returns grid positions (-1 for none) as an int array."""
        xs = np.asarray(lngs, dtype=np.float64)
        ys = np.asarray(lats, dtype=np.float64)
        result = np.full(len(xs), -1, dtype=np.int64)
        if len(self.codes) == 0 or len(xs) == 0:
            return result
        with np.errstate(invalid="ignore"):
            fx = np.floor((xs - self._x0) / self._size)
            fy = np.floor((ys - self._y0) / self._size)
            inside = (fx >= 0) & (fx < self._ncx) & (fy >= 0) & (fy < self._ncy)
        cell = np.zeros(len(xs), dtype=np.int64)
        cell[inside] = fy[inside].astype(np.int64) * self._ncx + fx[inside].astype(np.int64)
        answer = np.where(inside, self._cells[cell], _EMPTY)
        result[answer >= 0] = answer[answer >= 0]
        ask = np.flatnonzero(answer == _MIXED)
        if len(ask):
            points = shapely.points(xs[ask], ys[ask])
            point_idx, geom_idx = self.tree.query(points, predicate="intersects")
            # the lowest grid position per point wins, as in ``locate``
            first = np.full(len(ask), len(self.codes), dtype=np.int64)
            np.minimum.at(first, point_idx, geom_idx)
            found = first < len(self.codes)
            result[ask[found]] = first[found]
        return result

    def locate_many(self, lngs: Sequence[float] | np.ndarray,
                    lats: Sequence[float] | np.ndarray) -> list[str | None]:
        """Codes for many points at once (vectorised; same answers as ``locate``)."""
        found: list[str | None] = self._codes_or_none[self.locate_indices(lngs, lats)].tolist()
        return found


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

    rows = Grid.objects.current().order_by("code").values_list("pk", "code", "geometry")
    ids: dict[str, int] = {}

    def items() -> Iterable[tuple[str, shapely.Geometry]]:
        for pk, code, geometry in rows.iterator(chunk_size=2000):
            ids.setdefault(code, pk)
            yield code, shape(geometry)

    index = GridIndex(items())
    index.ids = ids
    return index


def current_index() -> GridIndex:
    global _index, _index_version, _checked_at
    now = time.monotonic()
    index = _index
    if index is not None and now - _checked_at < RECHECK_SECONDS:
        return index
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


def locate_grid(lng: float, lat: float) -> Grid | None:
    """WGS-84 point → the current grid that contains it, without a query.

    The instance carries ``id`` and ``code`` from the index; any other field is deferred (read
    from the database on first access).
    """
    from civicgrid.areas.models import Grid

    index = current_index()
    code = index.locate(lng, lat)
    pk = index.ids.get(code) if code is not None else None
    if code is None or pk is None:
        return None
    return Grid.from_db("default", ["id", "code"], [pk, code])


def locate_many(lngs: Sequence[float], lats: Sequence[float]) -> list[str | None]:
    """Many WGS-84 points → codes of the current grids that contain them (None outside)."""
    return current_index().locate_many(lngs, lats)
