"""Point → grid benchmark: GridIndex against a raw shapely STRtree, on synthetic grids.

Run ``python benchmarks/locate_bench.py`` (or ``python -m benchmarks``) from the repository
root. It tiles a region around 39.0°N 106.4°E with 10,000 irregular quadrilaterals (a
jittered 100 × 100 lattice, cells ≈ 350 m × 440 m), draws 1,000,000 random points over a
slightly larger box (some fall outside every grid), and measures

  (a) the raw bulk query ``STRtree.query(points, predicate="intersects")`` — both on
      prebuilt points and including ``shapely.points`` (an API that takes coordinates has
      to build them);
  (b) ``GridIndex.locate_many(lngs, lats)`` (coordinates in, codes out);
  (c) single-call latency of ``GridIndex.locate`` over 100,000 points.

Each bulk timing is the best of ``--repeat`` runs. (b) must give the same answer as (a)
(the lowest grid position among the hits) for every point; the script checks it.
``--no-write`` prints only; otherwise the "Point → grid" section of docs/benchmarks.md
is rewritten.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely import STRtree

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.machine import describe, write_section  # noqa: E402
from civicgrid.areas.locator import GridIndex  # noqa: E402

CENTER_LNG, CENTER_LAT = 106.4, 39.0
STEP_LNG, STEP_LAT = 0.004, 0.004  # ≈ 346 m × 444 m at 39°N
JITTER = 0.3  # vertex jitter, as a share of a step (keeps every quadrilateral simple)


def make_grids(side: int, seed: int) -> list[tuple[str, shapely.Geometry]]:
    rng = np.random.default_rng(seed)
    lng0 = CENTER_LNG - side * STEP_LNG / 2
    lat0 = CENTER_LAT - side * STEP_LAT / 2
    xs = lng0 + np.arange(side + 1)[:, None] * STEP_LNG + rng.uniform(-JITTER, JITTER, (side + 1, side + 1)) * STEP_LNG
    ys = lat0 + np.arange(side + 1)[None, :] * STEP_LAT + rng.uniform(-JITTER, JITTER, (side + 1, side + 1)) * STEP_LAT
    items = []
    for i in range(side):
        for j in range(side):
            ring = [(xs[i, j], ys[i, j]), (xs[i + 1, j], ys[i + 1, j]),
                    (xs[i + 1, j + 1], ys[i + 1, j + 1]), (xs[i, j + 1], ys[i, j + 1])]
            code = f"640202001{i:03d}{j:03d}"[:15]
            items.append((code, shapely.Polygon(ring)))
    return items


def make_points(side: int, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed + 1)
    half_x, half_y = (side / 2 + 1) * STEP_LNG, (side / 2 + 1) * STEP_LAT
    return (rng.uniform(CENTER_LNG - half_x, CENTER_LNG + half_x, n),
            rng.uniform(CENTER_LAT - half_y, CENTER_LAT + half_y, n))


def best_of(repeat: int, fn: Callable[[], Any]) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - started)
    return best, result


def run(grids: int, points: int, singles: int, repeat: int, seed: int) -> dict[str, Any]:
    side = int(round(grids ** 0.5))
    items = make_grids(side, seed)
    assert all(shapely.is_valid(g) for _c, g in items)
    xs, ys = make_points(side, points, seed)

    raw_tree = STRtree(np.array([g for _c, g in items], dtype=object))
    t_points, pts = best_of(repeat, lambda: shapely.points(xs, ys))
    t_raw, (p_idx, g_idx) = best_of(repeat, lambda: raw_tree.query(pts, predicate="intersects"))

    t_build, index = best_of(1, lambda: GridIndex(items))
    t_ours, found = best_of(repeat, lambda: index.locate_many(xs, ys))

    expected = np.full(points, len(items), dtype=np.int64)
    np.minimum.at(expected, p_idx, g_idx)
    codes = np.array([c for c, _g in items] + [None], dtype=object)
    expected_codes = codes[np.where(expected < len(items), expected, -1)].tolist()
    mismatches = sum(1 for a, b in zip(found, expected_codes, strict=True) if a != b)

    single_x, single_y = xs[:singles].tolist(), ys[:singles].tolist()
    locate, clock = index.locate, time.perf_counter_ns
    for x, y in zip(single_x[:1000], single_y[:1000], strict=True):  # warm up
        locate(x, y)
    samples = []
    for x, y in zip(single_x, single_y, strict=True):
        started = clock()
        locate(x, y)
        samples.append(clock() - started)
    samples.sort()
    single_mismatch = sum(
        1 for k in range(min(singles, 20000)) if locate(single_x[k], single_y[k]) != expected_codes[k]
    )
    return {
        "grids": len(items), "points": points, "singles": singles, "repeat": repeat,
        "inside": int((expected < len(items)).sum()),
        "t_points": t_points, "t_raw": t_raw, "t_build": t_build, "t_ours": t_ours,
        "raw_rate": points / t_raw, "raw_rate_with_points": points / (t_raw + t_points),
        "ours_rate": points / t_ours, "mismatches": mismatches + single_mismatch,
        "single_median_us": statistics.median(samples) / 1000,
        "single_p99_us": samples[int(len(samples) * 0.99) - 1] / 1000,
        "single_mean_us": sum(samples) / len(samples) / 1000,
        "raster": index.raster_stats,
    }


def report(r: dict[str, Any], command: str) -> str:
    m = describe({"shapely": shapely.__version__, "numpy": np.__version__,
                  "geos": ".".join(map(str, shapely.geos_version))})
    ratio = r["ours_rate"] / r["raw_rate"]
    ratio_pts = r["ours_rate"] / r["raw_rate_with_points"]
    ok_bulk = "met" if ratio >= 0.9 else "NOT met"
    ok_single = "met" if r["single_median_us"] <= 20 and r["single_p99_us"] <= 20 else "NOT met"
    rs = r["raster"]
    return f"""## Point → grid

Command: `make bench` (all benchmarks), or `{command}` for this one, from the repository root

Machine: {m['nproc']} CPUs ({m['cpu']}), {m['ram']} RAM, {m['os']}; Python {m['python']},
shapely {m['shapely']} (GEOS {m['geos']}), numpy {m['numpy']}. Date: {m['date']}. Load average (1/5/15 min) at the end: {m['load']}
(a shared machine: compare (a) and (b) from the same run, not across runs).

Data: {r['grids']:,} synthetic grids (jittered quadrilaterals tiling ≈ 35 km × 44 km around
39.0°N 106.4°E), {r['points']:,} random points ({r['inside']:,} inside a grid). Bulk timings
are the best of {r['repeat']} runs. Answers of (b) and (c) equal (a)'s first hit for every
point checked: **{r['mismatches']} mismatches**.

| measurement | time | rate |
|---|---|---|
| (a) raw `STRtree.query(points, predicate="intersects")`, points prebuilt | {r['t_raw']:.3f} s | {r['raw_rate']:,.0f} points/s |
| (a′) the same plus `shapely.points(lngs, lats)` ({r['t_points']:.3f} s) | {r['t_raw'] + r['t_points']:.3f} s | {r['raw_rate_with_points']:,.0f} points/s |
| (b) `GridIndex.locate_many(lngs, lats)` → codes | {r['t_ours']:.3f} s | {r['ours_rate']:,.0f} points/s |
| index build (`GridIndex(items)`: prepare, STRtree, raster) | {r['t_build']:.3f} s | |

(b) / (a) = **{ratio:.0%}** (target ≥ 90 %: {ok_bulk}); (b) / (a′) = {ratio_pts:.0%}.

(c) `GridIndex.locate(lng, lat)` over {r['singles']:,} single calls: median
**{r['single_median_us']:.2f} µs**, p99 **{r['single_p99_us']:.2f} µs**, mean {r['single_mean_us']:.2f} µs
(target ≤ 20 µs: {ok_single}).

Raster: {rs['cells']:,.0f} cells; {rs['inside']:.0%} inside one grid, {rs['empty']:.0%} empty,
{rs['mixed']:.0%} crossed by a boundary (those points go to the STRtree).
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grids", type=int, default=10_000)
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--singles", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    result = run(args.grids, args.points, args.singles, args.repeat, args.seed)
    text = report(result, "python benchmarks/locate_bench.py")
    print(text)
    if not args.no_write:
        write_section("locate", text)
    return 1 if result["mismatches"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
