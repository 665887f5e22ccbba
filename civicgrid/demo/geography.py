"""Generated villages/communities and grid polygons for 大武口区 (deterministic for a seed).

Grids are cells of one jittered lattice over the district's real extent (about 39.0°N
106.4°E), so they tile without overlaps; consecutive cells (in serpentine order) form a
village, consecutive villages a township. Only the 11 townships are real; villages and
grids are invented with valid 12- and 15-digit codes.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

MAX_VILLAGES_PER_TOWNSHIP = 199  # 居委会 001–199 in the statistical code; 村委会 200–399

# Real extent of the district's built-up area and nearby countryside (WGS-84).
WEST, EAST, SOUTH, NORTH = 106.24, 106.52, 38.96, 39.14

_STEMS = (
    "红旗 胜利 青山 朝阳 民主 团结 新华 建设 幸福 和平 光明 育才 康乐 安居 锦华 丽苑 惠民 兴业 "
    "长兴 长城 人民 沟口 石炭 白芨 锦林 星海 金山 银河 富民 丰收 春华 秋实 绿洲 贺兰 太西 "
    "矿山 工人 友谊 前进 振兴 华夏 新村 东方 西苑 南湖 北辰 中心 滨河 东环 西环 安泰 润泽 "
    "阳光 文化 科技 书香 德馨 海棠 丁香 紫荆 翠柳"
).split()


@dataclass(frozen=True)
class VillagePlan:
    code: str
    name: str
    township_code: str


@dataclass(frozen=True)
class GridPlan:
    code: str
    name: str
    village_code: str
    ring: list[tuple[float, float]]  # closed ring, (lng, lat)


def plan_villages(townships: list[tuple[str, str]], count: int, rng: random.Random) -> list[VillagePlan]:
    """``count`` villages spread over the townships (at least one each)."""
    count = max(count, len(townships))
    base, extra = divmod(count, len(townships))
    if base + (1 if extra else 0) > MAX_VILLAGES_PER_TOWNSHIP:
        raise ValueError(
            f"每个乡镇/街道最多 {MAX_VILLAGES_PER_TOWNSHIP} 个村/社区（3 位序号），"
            f"{len(townships)} 个乡镇共最多 {MAX_VILLAGES_PER_TOWNSHIP * len(townships)} 个。"
        )
    plans: list[VillagePlan] = []
    stems = list(_STEMS)
    rng.shuffle(stems)
    used: set[str] = set()
    for t_index, (t_code, t_name) in enumerate(townships):
        n = base + (1 if t_index < extra else 0)
        is_town = t_name.endswith("镇") or t_name.endswith("乡")
        for i in range(n):
            stem = stems[(len(plans)) % len(stems)]
            suffix = "村" if is_town else "社区"
            name = f"{stem}{suffix}"
            k = 2
            while name in used:
                name = f"{stem}{k}{suffix}"
                k += 1
            used.add(name)
            # 统计用区划代码: 居委会 001–199, 村委会 200–399
            seq = (200 + i + 1) if is_town else (i + 1)
            plans.append(VillagePlan(f"{t_code}{seq:03d}", name, t_code))
    return plans


def _lattice_shape(cells: int) -> tuple[int, int]:
    aspect = (EAST - WEST) * math.cos(math.radians((SOUTH + NORTH) / 2)) / (NORTH - SOUTH)
    cols = max(1, math.ceil(math.sqrt(cells * aspect)))
    rows = max(1, math.ceil(cells / cols))
    return cols, rows


def plan_grids(villages: list[VillagePlan], count: int, rng: random.Random) -> list[GridPlan]:
    """``count`` grid polygons (at least one per village) tiling the district extent."""
    count = max(count, len(villages))
    cols, rows = _lattice_shape(count)
    dx, dy = (EAST - WEST) / cols, (NORTH - SOUTH) / rows
    # jitter interior lattice vertices by up to 20 % of a cell: shared by neighbours, so no overlaps
    vertices: dict[tuple[int, int], tuple[float, float]] = {}
    for i in range(cols + 1):
        for j in range(rows + 1):
            x, y = WEST + i * dx, SOUTH + j * dy
            if 0 < i < cols and 0 < j < rows:
                x += rng.uniform(-0.2, 0.2) * dx
                y += rng.uniform(-0.2, 0.2) * dy
            vertices[(i, j)] = (round(x, 7), round(y, 7))
    cells = []
    for j in range(rows):
        row = range(cols) if j % 2 == 0 else range(cols - 1, -1, -1)  # serpentine: neighbours stay close
        cells.extend((i, j) for i in row)
    cells = cells[:count]
    base, extra = divmod(count, len(villages))
    plans: list[GridPlan] = []
    cursor = 0
    for v_index, village in enumerate(villages):
        n = base + (1 if v_index < extra else 0)
        for seq in range(1, n + 1):
            i, j = cells[cursor]
            cursor += 1
            ring = [vertices[(i, j)], vertices[(i + 1, j)], vertices[(i + 1, j + 1)],
                    vertices[(i, j + 1)], vertices[(i, j)]]
            plans.append(GridPlan(f"{village.code}{seq:03d}", f"{village.name}第{seq}网格",
                                  village.code, ring))
    return plans
