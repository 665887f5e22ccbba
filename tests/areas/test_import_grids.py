"""``civicgrid import-grids``, ``redraw_grid`` and household groups."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import shapely
from django.core.management import CommandError, call_command
from shapely.geometry import shape

from civicgrid.areas import locator, services
from civicgrid.areas.coords import wgs84_to_gcj02
from civicgrid.areas.models import Area, Grid, HouseholdGroup
from civicgrid.core.errors import NotFound, PermissionDenied, ValidationFailed
from civicgrid.core.models import AuditEntry
from tests.areas.geo import BASE_LAT, BASE_LNG, STEP, VILLAGE_CODE, feature, square, write_geojson

pytestmark = pytest.mark.django_db

G1, G2, G3 = VILLAGE_CODE + "001", VILLAGE_CODE + "002", VILLAGE_CODE + "003"


def _run(path: Path, *args: str) -> None:
    call_command("import_grids", str(path), "--no-progress", *args)


def _bowtie() -> dict[str, Any]:
    x, y = BASE_LNG + 5 * STEP, BASE_LAT
    ring = [[x, y], [x + STEP, y + STEP], [x + STEP, y], [x, y + STEP], [x, y]]
    return {"type": "Polygon", "coordinates": [ring]}


def test_import_creates_grids_with_bbox_and_centroid(village: Area, tmp_path: Path) -> None:
    path = write_geojson(tmp_path / "g.geojson", [feature(G1, square(0, 0)), feature(G2, square(1, 0))])
    _run(path)
    grid = Grid.objects.current().get(code=G1)
    assert grid.village == village
    assert grid.min_lng == pytest.approx(BASE_LNG)
    assert grid.max_lat == pytest.approx(BASE_LAT + STEP)
    assert grid.centroid_lng == pytest.approx(BASE_LNG + STEP / 2)
    assert shape(grid.geometry).equals(shape(square(0, 0)))
    assert AuditEntry.objects.order_by("-seq").first().action == "grids.import"


def test_rerun_is_idempotent_and_rename_keeps_version(village: Area, tmp_path: Path) -> None:
    features = [feature(G1, square(0, 0)), feature(G2, square(1, 0))]
    path = write_geojson(tmp_path / "g.geojson", features)
    _run(path)
    again = services.import_grids(actor=None, features=_read(path), source="g")
    assert (again.created, again.redrawn, again.renamed, again.unchanged) == (0, 0, 0, 2)
    assert Grid.objects.filter(code__startswith=VILLAGE_CODE).count() == 2
    features[0]["properties"]["name"] = "新名字"
    write_geojson(path, features)
    renamed = services.import_grids(actor=None, features=_read(path), source="g")
    assert renamed.renamed == 1
    assert Grid.objects.filter(code=G1).count() == 1
    assert Grid.objects.get(code=G1).name == "新名字"


def _read(path: Path) -> list[Any]:
    from civicgrid.areas.importers.grids_geojson import read_grids_geojson

    return read_grids_geojson(path)


def test_self_intersecting_polygon_rejects_whole_file(village: Area, tmp_path: Path) -> None:
    path = write_geojson(tmp_path / "g.geojson", [
        feature(G1, square(0, 0)), feature(G2, square(1, 0)), feature(G3, _bowtie()),
    ])
    with pytest.raises(CommandError) as info:
        _run(path)
    message = str(info.value)
    assert "第 3 个要素（features[2]，编码 " + G3 in message
    assert "自相交" in message
    assert G1 not in message
    assert not Grid.objects.filter(code__startswith=VILLAGE_CODE).exists()


def test_every_bad_feature_is_listed(village: Area, tmp_path: Path) -> None:
    path = write_geojson(tmp_path / "g.geojson", [
        feature("12345", square(0, 0)),
        feature("999999999999001", square(1, 0)),
        feature(G1, {"type": "Point", "coordinates": [BASE_LNG, BASE_LAT]}),
        {"type": "Feature", "properties": {"name": "无编码"}, "geometry": square(3, 0)},
        feature(G2, square(4, 0)),
        feature(G2, square(5, 0)),
    ])
    with pytest.raises(ValidationFailed) as info:
        services.import_grids(actor=None, features=_read(path), source="g")
    errors = info.value.fields["errors"]
    assert len(errors) == 5
    assert "编码 12345）：网格编码 12345 应为 15 位数字" in errors[0]
    assert "所属村/社区 999999999999 不存在" in errors[1]
    assert "Point" in errors[2]
    assert "缺少 properties.code" in errors[3]
    assert "第 6 个要素" in errors[4] and "与第 5 个要素重复" in errors[4]
    assert not Grid.objects.filter(code__startswith=VILLAGE_CODE).exists()


def test_overlap_in_file_and_with_existing_grid(village: Area, tmp_path: Path) -> None:
    _run(write_geojson(tmp_path / "a.geojson", [feature(G1, square(0, 0))]))
    half = STEP / 2  # ≈ 4,800 m² of overlap, far above the 25 m² tolerance
    path = write_geojson(tmp_path / "b.geojson", [
        feature(G2, square(0, 0, dx=half)), feature(G3, square(1, 0)),
    ])
    with pytest.raises(ValidationFailed) as info:
        services.import_grids(actor=None, features=_read(path), source="b")
    errors = info.value.fields["errors"]
    assert any(G2 in e and f"与现有网格 {G1}" in e for e in errors)
    assert any(G2 in e and f"与本文件中的网格 {G3}" in e for e in errors)
    assert any(G3 in e and f"与本文件中的网格 {G2}" in e for e in errors)
    assert Grid.objects.filter(code__startswith=VILLAGE_CODE).count() == 1


def test_shared_edges_and_tiny_slivers_are_accepted(village: Area, tmp_path: Path) -> None:
    sliver = 1e-6  # ≈ 0.1 m × 111 m ≈ 11 m² of overlap, under the 25 m² tolerance
    path = write_geojson(tmp_path / "g.geojson", [
        feature(G1, square(0, 0)), feature(G2, square(1, 0, dx=-sliver)), feature(G3, square(0, 1)),
    ])
    _run(path)
    assert Grid.objects.current().filter(code__startswith=VILLAGE_CODE).count() == 3


def test_outside_village_boundary_is_rejected(village: Area, tmp_path: Path) -> None:
    village.boundary = square(0, 0, size=2 * STEP)
    village.save()
    path = write_geojson(tmp_path / "g.geojson", [
        feature(G1, square(0, 0)), feature(G2, square(1, 1)), feature(G3, square(2, 0)),
    ])
    with pytest.raises(ValidationFailed) as info:
        services.import_grids(actor=None, features=_read(path), source="g")
    errors = info.value.fields["errors"]
    assert len(errors) == 1
    assert G3 in errors[0] and "超出所属村/社区" in errors[0]


def test_gcj02_input_is_converted(village: Area, tmp_path: Path) -> None:
    wgs = shape(square(0, 0))
    gcj = shapely.transform(wgs, lambda xy: [wgs84_to_gcj02(x, y) for x, y in xy.tolist()])
    assert gcj.distance(wgs) > 0.001  # GCJ-02 is hundreds of metres off
    path = write_geojson(tmp_path / "g.geojson", [feature(G1, shapely.geometry.mapping(gcj))],
                         crs="gcj02")
    _run(path)
    stored = shape(Grid.objects.current().get(code=G1).geometry)
    assert stored.hausdorff_distance(wgs) < 1e-7


def test_redraw_keeps_history_and_locator_follows(
    village: Area, tmp_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    _run(write_geojson(tmp_path / "g.geojson", [feature(G1, square(0, 0))]))
    old = Grid.objects.current().get(code=G1)
    inside_new_only = (BASE_LNG + 7.5 * STEP, BASE_LAT + 0.5 * STEP)
    locator.invalidate()
    assert locator.locate(*inside_new_only) is None
    with django_capture_on_commit_callbacks(execute=True):
        new = services.redraw_grid(actor=None, code=G1, geometry=square(7, 0))
    old.refresh_from_db()
    assert old.valid_to is not None and new.valid_to is None
    assert new.pk != old.pk
    assert Grid.objects.filter(code=G1).count() == 2
    assert locator.locate(*inside_new_only) == G1
    assert locator.locate(BASE_LNG + 0.5 * STEP, BASE_LAT + 0.5 * STEP) is None
    assert AuditEntry.objects.order_by("-seq").first().action == "grid.redraw"


def test_redraw_rejects_bad_geometry_and_unknown_grid(village: Area) -> None:
    with pytest.raises(NotFound):
        services.redraw_grid(actor=None, code=G1, geometry=square(0, 0))
    services.import_grids(actor=None, features=_features([(G1, 0)]), source="t")
    with pytest.raises(ValidationFailed, match="自相交"):
        services.redraw_grid(actor=None, code=G1, geometry=_bowtie())
    assert Grid.objects.filter(code=G1).count() == 1


def _features(pairs: list[tuple[str, int]]) -> list[Any]:
    from civicgrid.areas.importers.grids_geojson import parse_grids_data

    return parse_grids_data({"type": "FeatureCollection",
                             "features": [feature(code, square(col, 0)) for code, col in pairs]})


def test_household_group_rules(village: Area, cast: dict[str, Any]) -> None:
    services.import_grids(actor=None, features=_features([(G1, 0)]), source="t")
    group = services.create_household_group(actor=None, grid_code=G1, name="一组",
                                            household_count=12, head=cast["head"])
    assert HouseholdGroup.objects.get(pk=group.pk).head == cast["head"]
    for count in (9, 16):
        with pytest.raises(ValidationFailed, match="10–15"):
            services.create_household_group(actor=None, grid_code=G1, name="x", household_count=count)
    with pytest.raises(ValidationFailed, match="不存在"):
        services.create_household_group(actor=None, grid_code=G2, name="x", household_count=10)
    with pytest.raises(PermissionDenied):
        services.create_household_group(actor=cast["resident"], grid_code=G1, name="x",
                                        household_count=10)
