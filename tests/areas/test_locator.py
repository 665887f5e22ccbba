"""Point → grid: inside, outside, boundary, holes, bulk = single, and the raster's edges."""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Polygon, box

from civicgrid.areas.locator import GridIndex


def _lattice(side: int = 6, step: float = 0.01, seed: int = 3) -> list[tuple[str, Polygon]]:
    rng = np.random.default_rng(seed)
    xs = 106.4 + np.arange(side + 1)[:, None] * step + rng.uniform(-0.25, 0.25, (side + 1,) * 2) * step
    ys = 39.0 + np.arange(side + 1)[None, :] * step + rng.uniform(-0.25, 0.25, (side + 1,) * 2) * step
    return [
        (f"640202001001{i * side + j:03d}",
         Polygon([(xs[i, j], ys[i, j]), (xs[i + 1, j], ys[i + 1, j]),
                  (xs[i + 1, j + 1], ys[i + 1, j + 1]), (xs[i, j + 1], ys[i, j + 1])]))
        for i in range(side) for j in range(side)
    ]


def _brute(items: list[tuple[str, Polygon]], x: float, y: float) -> str | None:
    point = shapely.Point(x, y)
    return next((code for code, geom in items if geom.intersects(point)), None)


def test_inside_outside_and_shared_boundary() -> None:
    index = GridIndex([("A", box(0, 0, 1, 1)), ("B", box(1, 0, 2, 1))])
    assert index.locate(0.5, 0.5) == "A"
    assert index.locate(1.5, 0.5) == "B"
    assert index.locate(1.0, 0.5) == "A"  # on the shared edge: both contain it, the first wins
    assert index.locate(2.0, 1.0) == "B"  # a corner counts as inside
    assert index.locate(2.0 + 1e-9, 0.5) is None
    assert index.locate(-5, -5) is None
    assert index.locate(math.nan, 0.5) is None
    assert index.locate(math.inf, 0.5) is None
    assert index.locate_many([0.5, 1.0, 3.0, math.nan], [0.5, 0.5, 0.5, 0.5]) == ["A", "A", None, None]


def test_hole_and_multipolygon() -> None:
    ring = Polygon([(0, 0), (4, 0), (4, 4), (0, 4)], [[(1, 1), (3, 1), (3, 3), (1, 3)]])
    two = shapely.MultiPolygon([box(10, 10, 11, 11), box(12, 10, 13, 11)])
    index = GridIndex([("RING", ring), ("HOLE", box(1.5, 1.5, 2.5, 2.5)), ("MULTI", two)])
    assert index.locate(0.5, 0.5) == "RING"
    assert index.locate(1.2, 1.2) is None  # in the hole, not in the small grid inside it
    assert index.locate(2.0, 2.0) == "HOLE"
    assert index.locate(12.5, 10.5) == "MULTI"
    assert index.locate(11.5, 10.5) is None  # between the parts


def test_empty_index() -> None:
    index = GridIndex([])
    assert len(index) == 0
    assert index.locate(106.4, 39.0) is None
    assert index.locate_many([106.4], [39.0]) == [None]


def test_bulk_and_single_agree_with_brute_force() -> None:
    items = _lattice()
    index = GridIndex(items)
    rng = np.random.default_rng(11)
    xs = rng.uniform(106.38, 106.48, 3000)
    ys = rng.uniform(38.98, 39.08, 3000)
    expected = [_brute(items, x, y) for x, y in zip(xs.tolist(), ys.tolist(), strict=True)]
    assert sum(e is None for e in expected) > 100  # some points really are outside
    assert index.locate_many(xs, ys) == expected
    assert [index.locate(x, y) for x, y in zip(xs.tolist(), ys.tolist(), strict=True)] == expected
    assert index.raster_stats["inside"] > 0.2  # the raster does answer most points


def test_every_vertex_is_located() -> None:
    items = _lattice()
    index = GridIndex(items)
    for code, geom in items:
        for x, y in list(geom.exterior.coords)[:-1]:
            found = index.locate(x, y)
            assert found is not None, f"vertex of {code} not located"
            assert found == _brute(items, x, y)


@settings(max_examples=300, deadline=None)
@given(st.floats(106.37, 106.49), st.floats(38.97, 39.09))
def test_property_locate_matches_brute_force(x: float, y: float) -> None:
    items = _LATTICE
    assert _INDEX.locate(x, y) == _brute(items, x, y)
    assert _INDEX.locate_many([x], [y]) == [_brute(items, x, y)]


_LATTICE = _lattice()
_INDEX = GridIndex(_LATTICE)


@pytest.mark.django_db
def test_module_locate_uses_current_grids() -> None:
    from civicgrid.areas import locator
    from civicgrid.areas.models import Grid

    locator.invalidate()
    grid = Grid.objects.current().order_by("code").first()
    assert grid is not None, "the test city has grids"
    x, y = grid.centroid_lng, grid.centroid_lat
    assert locator.locate(x, y) == grid.code
    assert locator.locate_many([x, 0.0], [y, 0.0]) == [grid.code, None]
