"""Geometric checks for grids: inside the village boundary, no overlap with other grids.

Areas are compared in square metres (``coords.area_m2``) against a tolerance, so grids
that share an edge — or differ by a digitising sliver — are accepted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from shapely import STRtree

from civicgrid.areas.coords import area_m2


@dataclass(frozen=True)
class Overlap:
    first: int  # index into the ``new`` sequence
    second: int  # index into ``new`` (if ``second_is_new``) or into ``others``
    second_is_new: bool
    area_m2: float


def outside_area_m2(geom: shapely.Geometry, boundary: shapely.Geometry) -> float:
    """How much of ``geom`` lies outside ``boundary``, in square metres."""
    if shapely.covers(boundary, geom):
        return 0.0
    return area_m2(shapely.difference(geom, boundary))


def find_overlaps(
    new: Sequence[shapely.Geometry],
    others: Sequence[shapely.Geometry],
    *,
    tolerance_m2: float,
) -> list[Overlap]:
    """Pairs (new × new, new × others) whose intersection exceeds the tolerance.

    ``others`` are existing grids that stay (not replaced by ``new``). Each new×new pair is
    reported once, with ``first < second``.
    """
    if not new:
        return []
    all_geoms = np.array(list(new) + list(others), dtype=object)
    tree = STRtree(all_geoms)
    left, right = tree.query(np.array(list(new), dtype=object), predicate="intersects")
    n_new = len(new)
    keep = (right >= n_new) | (left < right)
    result: list[Overlap] = []
    for i, j in zip(left[keep].tolist(), right[keep].tolist(), strict=True):
        shared = shapely.intersection(all_geoms[i], all_geoms[j])
        size = area_m2(shared)
        if size > tolerance_m2:
            is_new = j < n_new
            result.append(Overlap(i, j if is_new else j - n_new, is_new, size))
    return result
