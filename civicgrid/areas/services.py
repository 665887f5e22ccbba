"""Every write to areas, grids and household groups. Keyword-only arguments, explicit actor.

``actor=None`` means the system (management commands, the demo builder); a user actor needs
the ``areas.manage`` permission. Imports are atomic: every row or feature is checked first,
all problems are reported together, and nothing is written if any is bad.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import shapely
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from shapely.geometry import shape
from tqdm import tqdm

from civicgrid.accounts.models import User
from civicgrid.accounts.scope import can
from civicgrid.areas.importers.areas_csv import AreaRecord, raise_errors, read_areas_csv
from civicgrid.areas.importers.grid_checks import find_overlaps, outside_area_m2
from civicgrid.areas.importers.grids_geojson import (
    GridFeature,
    geometry_to_geojson,
    parse_geometry,
)
from civicgrid.areas.models import LEVEL_BY_LENGTH, Area, AreaLevel, Grid, HouseholdGroup
from civicgrid.areas.signals import bump_grid_index_version
from civicgrid.core import audit, refcache
from civicgrid.core.errors import NotFound, PermissionDenied, ValidationFailed

BATCH_SIZE = 1000
IN_CHUNK = 500  # codes per ``__in`` lookup (stays below every database's parameter limit)
DAWUKOU_CSV = Path(__file__).resolve().parent / "data" / "dawukou.csv"


def _require_manager(actor: User | None) -> None:
    if actor is not None and not can(actor, "areas.manage"):
        raise PermissionDenied("没有维护区划与网格的权限。", code="not_area_manager")


def _audit(actor: User | None, action: str, target: str, data: dict[str, Any]) -> None:
    audit.record(actor=actor, action=action, target=target, data=data,
                 actor_name=None if actor else "system")


def _chunks(items: Sequence[str], size: int = IN_CHUNK) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


# --- areas ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class AreaImportResult:
    created: int
    updated: int
    unchanged: int

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged


def import_areas(
    *, actor: User | None, records: Sequence[AreaRecord], source: str, progress: bool = False,
    row_errors: Sequence[tuple[int, str]] = (),
) -> AreaImportResult:
    """Upsert areas by code (a changed name or parent updates; the same rows change nothing).

    ``row_errors`` are (line, message) pairs the reader already found; they are reported
    together with the parent checks made here, and any error means nothing is written.
    """
    _require_manager(actor)
    codes = sorted({r.code for r in records} | {r.parent_code for r in records if r.parent_code})
    with transaction.atomic():
        existing: dict[str, tuple[int, str, int | None]] = {}
        for chunk in _chunks(codes):
            for pk, code, name, parent_id in Area.objects.filter(code__in=chunk).values_list(
                "pk", "code", "name", "parent_id"
            ):
                existing[code] = (pk, name, parent_id)
        in_file = {r.code for r in records}
        errors = list(row_errors) + [
            (r.row, f"第 {r.row} 行：上级区划 {r.parent_code} 既不在数据库中也不在本文件中（请先导入上级）")
            for r in records
            if r.parent_code and r.parent_code not in in_file and r.parent_code not in existing
        ]
        raise_errors([message for _row, message in sorted(errors)], title="区划导入失败",
                     code="bad_area_rows")

        ids = {code: row[0] for code, row in existing.items()}
        created = updated = unchanged = 0
        bar = tqdm(total=len(records), desc="导入区划", unit="行", disable=not progress)
        # parents first: shorter codes are higher levels
        for length in sorted({len(r.code) for r in records}):
            level = LEVEL_BY_LENGTH[length]
            new: list[Area] = []
            changed: list[Area] = []
            for rec in (r for r in records if len(r.code) == length):
                parent_id = ids[rec.parent_code] if rec.parent_code else None
                old = existing.get(rec.code)
                if old is None:
                    new.append(Area(code=rec.code, name=rec.name, level=level, parent_id=parent_id))
                elif old[1] != rec.name or old[2] != parent_id:
                    changed.append(Area(pk=old[0], name=rec.name, parent_id=parent_id))
                else:
                    unchanged += 1
            for start in range(0, len(new), BATCH_SIZE):
                batch = Area.objects.bulk_create(new[start:start + BATCH_SIZE])
                ids.update({a.code: a.pk for a in batch})
                bar.update(len(batch))
            for start in range(0, len(changed), BATCH_SIZE):
                Area.objects.bulk_update(changed[start:start + BATCH_SIZE], ["name", "parent"])
                bar.update(len(changed[start:start + BATCH_SIZE]))
            created += len(new)
            updated += len(changed)
        bar.update(unchanged)
        bar.close()
        if created or updated:
            refcache.bump()  # bulk writes send no signals; grants and centres hold area codes
        if created or updated:
            _audit(actor, "areas.import", source,
                   {"created": created, "updated": updated, "unchanged": unchanged})
    return AreaImportResult(created=created, updated=updated, unchanged=unchanged)


def import_areas_file(
    *, actor: User | None, path: str | Path, progress: bool = False
) -> AreaImportResult:
    parsed = read_areas_csv(path)
    return import_areas(actor=actor, records=parsed.records, source=Path(path).name,
                        progress=progress, row_errors=parsed.errors)


def ensure_dawukou_areas() -> AreaImportResult:
    """The demo's real codes: 宁夏 64 → 石嘴山市 6402 → 大武口区 640202 and its 11 townships."""
    return import_areas_file(actor=None, path=DAWUKOU_CSV)


# --- grids ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class GridImportResult:
    created: int
    redrawn: int
    renamed: int
    unchanged: int

    @property
    def changed(self) -> int:
        return self.created + self.redrawn + self.renamed


def _same_shape(a: shapely.Geometry, b: shapely.Geometry) -> bool:
    return bool(shapely.equals_exact(shapely.normalize(a), shapely.normalize(b), tolerance=1e-9))


def _bbox_filter(geoms: Sequence[shapely.Geometry]) -> dict[str, float]:
    minx, miny, maxx, maxy = shapely.total_bounds(list(geoms))
    return {"max_lng__gte": minx, "min_lng__lte": maxx, "max_lat__gte": miny, "min_lat__lte": maxy}


def _check_grids(features: Sequence[GridFeature], current: dict[str, Grid],
                 villages: dict[str, Area]) -> None:
    """Add database-dependent problems to the features, then raise if any feature is bad."""
    tolerance = float(settings.GRID_OVERLAP_TOLERANCE_M2)
    good = [f for f in features if not f.problems and f.geometry is not None]
    for feature in good:
        village = villages.get(feature.village_code)
        if village is None:
            feature.problems.append(
                f"所属村/社区 {feature.village_code} 不存在（需先导入 12 位村/社区区划）")
        elif village.boundary:
            outside = outside_area_m2(feature.geometry, shape(village.boundary))
            if outside > tolerance:
                feature.problems.append(
                    f"超出所属村/社区 {village.name}（{village.code}）边界约 {outside:.0f} 平方米")
    geoms = [f.geometry for f in good]
    if geoms:
        codes = {f.code for f in features}
        others = [g for g in Grid.objects.current().filter(**_bbox_filter(geoms))
                  if g.code not in codes]
        for hit in find_overlaps(geoms, [shape(g.geometry) for g in others],
                                 tolerance_m2=tolerance):
            first = good[hit.first]
            if hit.second_is_new:
                second = good[hit.second]
                first.problems.append(f"与本文件中的网格 {second.code} 重叠约 {hit.area_m2:.0f} 平方米")
                second.problems.append(f"与本文件中的网格 {first.code} 重叠约 {hit.area_m2:.0f} 平方米")
            else:
                other = others[hit.second]
                first.problems.append(f"与现有网格 {other.code}（{other.name}）重叠约 "
                                      f"{hit.area_m2:.0f} 平方米")
    bad = [f for f in features if f.problems]
    raise_errors([f"{f.label}：" + "；".join(f.problems) for f in bad],
                 title="网格导入失败", code="bad_grid_features")


def _grid_row(feature: GridFeature, village: Area, when: Any) -> Grid:
    geom = feature.geometry
    assert geom is not None
    centroid = geom.representative_point() if not geom.centroid.within(geom) else geom.centroid
    minx, miny, maxx, maxy = geom.bounds
    return Grid(
        code=feature.code, name=feature.name, village=village,
        geometry=geometry_to_geojson(geom), centroid_lng=centroid.x, centroid_lat=centroid.y,
        min_lng=minx, min_lat=miny, max_lng=maxx, max_lat=maxy, valid_from=when,
    )


def import_grids(
    *, actor: User | None, features: Sequence[GridFeature], source: str, progress: bool = False,
    action: str = "grids.import",
) -> GridImportResult:
    """Create, redraw (close the old version, add a new one) or rename grids, atomically."""
    _require_manager(actor)
    if not features:
        raise ValidationFailed("文件中没有网格要素。", code="no_features")
    with transaction.atomic():
        codes = sorted({f.code for f in features if f.code})
        villages: dict[str, Area] = {}
        current: dict[str, Grid] = {}
        for chunk in _chunks(sorted({c[:12] for c in codes})):
            villages.update({a.code: a for a in Area.objects.filter(
                code__in=chunk, level=AreaLevel.VILLAGE)})
        for chunk in _chunks(codes):
            current.update({g.code: g for g in Grid.objects.current().filter(code__in=chunk)})
        _check_grids(features, current, villages)

        now = timezone.now()
        new_rows: list[Grid] = []
        closed: list[Grid] = []
        renamed: list[Grid] = []
        unchanged = 0
        for feature in tqdm(features, desc="导入网格", unit="个", disable=not progress):
            assert feature.geometry is not None
            old = current.get(feature.code)
            if old is None:
                new_rows.append(_grid_row(feature, villages[feature.village_code], now))
            elif not _same_shape(shape(old.geometry), feature.geometry):
                old.valid_to = now
                closed.append(old)
                new_rows.append(_grid_row(feature, villages[feature.village_code], now))
            elif old.name != feature.name:
                old.name = feature.name
                renamed.append(old)
            else:
                unchanged += 1
        Grid.objects.bulk_update(closed, ["valid_to"], batch_size=BATCH_SIZE)
        Grid.objects.bulk_update(renamed, ["name"], batch_size=BATCH_SIZE)
        Grid.objects.bulk_create(new_rows, batch_size=BATCH_SIZE)
        result = GridImportResult(created=len(new_rows) - len(closed), redrawn=len(closed),
                                  renamed=len(renamed), unchanged=unchanged)
        if result.changed:
            # bulk writes send no signals: move the index version with the data, in the same
            # transaction; this process forgets its index when the transaction commits
            bump_grid_index_version()
            _audit(actor, action, source, {
                "created": result.created, "redrawn": result.redrawn,
                "renamed": result.renamed, "unchanged": unchanged,
                "codes": sorted(g.code for g in new_rows + renamed)[:200],
            })
    return result


def redraw_grid(*, actor: User | None, code: str, geometry: dict[str, Any] | shapely.Geometry) -> Grid:
    """Give a current grid a new polygon (WGS-84); the old version is kept as history."""
    _require_manager(actor)
    grid = Grid.objects.current().filter(code=code).first()
    if grid is None:
        raise NotFound(f"网格 {code} 不存在。", code="grid_not_found")
    if isinstance(geometry, dict):
        geom, problem = parse_geometry(geometry)
    else:
        geom, problem = geometry, None
    feature = GridFeature(index=0, code=code, name=grid.name, geometry=geom,
                          problems=[problem] if problem else [])
    import_grids(actor=actor, features=[feature], source=f"grid:{code}", action="grid.redraw")
    return Grid.objects.current().get(code=code)


# --- household groups ----------------------------------------------------------------------


def create_household_group(
    *, actor: User | None, grid_code: str, name: str, household_count: int,
    head: User | None = None,
) -> HouseholdGroup:
    """十联户: 10–15 households under a head, inside one current grid."""
    _require_manager(actor)
    low, high = HouseholdGroup.MIN_HOUSEHOLDS, HouseholdGroup.MAX_HOUSEHOLDS
    if not low <= household_count <= high:
        raise ValidationFailed(f"联户组户数应为 {low}–{high} 户，收到 {household_count}。",
                               code="household_count", fields={"household_count": household_count})
    name = name.strip()
    if not name:
        raise ValidationFailed("联户组名称不能为空。", code="name_required")
    if not Grid.objects.current().filter(code=grid_code).exists():
        raise ValidationFailed(f"网格 {grid_code} 不存在。", code="grid_not_found",
                               fields={"grid_code": grid_code})
    with transaction.atomic():
        group = HouseholdGroup.objects.create(grid_code=grid_code, name=name,
                                              household_count=household_count, head=head)
        _audit(actor, "household_group.create", f"grid:{grid_code}",
               {"name": name, "household_count": household_count,
                "head": head.get_username() if head else ""})
    return group
