"""The demo city: real townships, valid generated codes, tiling grids, one login per role."""

from __future__ import annotations

import random

import pytest
import shapely
from django.core.management import call_command
from django.core.management.base import CommandError
from shapely.geometry import Polygon, shape

from civicgrid.accounts.scope import roles_of
from civicgrid.areas.models import Area, AreaLevel, Grid, HouseholdGroup
from civicgrid.demo.build import DEMO_PASSWORD, build_demo, demo_logins
from civicgrid.demo.geography import plan_grids, plan_villages
from tests.conftest import CAST, TEST_CITY

pytestmark = pytest.mark.django_db

TOWNSHIPS = [(f"640202{n:03d}", name) for n, name in (
    (1, "长胜街道"), (2, "朝阳街道"), (3, "人民路街道"), (4, "长城街道"), (5, "青山街道"),
    (6, "石炭井街道"), (7, "白芨沟街道"), (8, "沟口街道"), (10, "长兴街道"), (11, "锦林街道"),
    (100, "星海镇"))]


def test_real_townships_and_generated_villages() -> None:
    townships = dict(Area.objects.filter(level=AreaLevel.TOWNSHIP).values_list("code", "name"))
    assert townships == dict(TOWNSHIPS)
    villages = list(Area.objects.filter(level=AreaLevel.VILLAGE))
    assert len(villages) == TEST_CITY.villages
    for v in villages:
        assert len(v.code) == 12 and v.code.isdigit() and v.parent.code == v.code[:9]
        is_town = v.parent.name.endswith("镇")
        assert (int(v.code[9:]) >= 200) == is_town  # 村委会 200–399, 居委会 001–199


def test_grids_tile_without_overlap_and_cover_every_village() -> None:
    grids = list(Grid.objects.current())
    assert len(grids) == TEST_CITY.grids
    polygons = [shape(g.geometry) for g in grids]
    assert all(p.is_valid for p in polygons)
    union = shapely.union_all(polygons)
    assert union.area == pytest.approx(sum(p.area for p in polygons), rel=1e-9)
    assert {g.code[:12] for g in grids} == set(
        Area.objects.filter(level=AreaLevel.VILLAGE).values_list("code", flat=True))
    for g in grids:
        assert g.village.code == g.code[:12] and len(g.code) == 15
        assert 38.9 < g.centroid_lat < 39.2 and 106.2 < g.centroid_lng < 106.6


def test_household_groups_have_10_to_15_households() -> None:
    counts = list(HouseholdGroup.objects.values_list("household_count", flat=True))
    assert counts and min(counts) >= 10 and max(counts) <= 15
    assert HouseholdGroup.objects.filter(head__username="head").count() == 1


def test_plans_are_deterministic_for_a_seed() -> None:
    def plan(seed: int) -> list[tuple[str, list]]:
        rng = random.Random(seed)
        villages = plan_villages(TOWNSHIPS, 30, rng)
        return [(g.code, g.ring) for g in plan_grids(villages, 90, rng)]

    assert plan(1) == plan(1)
    assert plan(1) != plan(2)
    assert all(Polygon(ring).is_valid for _code, ring in plan(3))


def test_second_build_reuses_the_city(cast) -> None:  # type: ignore[no-untyped-def]
    before = Grid.objects.count()
    assert build_demo(TEST_CITY) is False
    assert Grid.objects.count() == before


def test_one_login_per_role_with_the_demo_password(cast) -> None:  # type: ignore[no-untyped-def]
    expected_roles = {
        "sysadmin": "sysadmin", "secadmin": "secadmin", "auditor": "auditor", "leader": "leader",
        "center": "center_operator", "street": "center_operator", "grid": "grid_member",
        "head": "household_head", "hotline": "hotline_agent", "dept": "dept_handler",
        "mediator": "mediator", "resident": "resident",
    }
    for username in CAST:
        user = cast[username]
        assert user.check_password(DEMO_PASSWORD)
        assert roles_of(user) == [expected_roles[username]]
        assert not user.is_superuser
    assert [login.username for login in demo_logins()] == CAST


def test_demo_command_prints_logins_and_rejects_bad_sizes(capsys) -> None:  # type: ignore[no-untyped-def]
    call_command("demo", "--no-migrate")
    out = capsys.readouterr().out
    assert "演示城市已存在" in out and DEMO_PASSWORD in out
    assert all(name in out for name in CAST)
    with pytest.raises(CommandError):
        call_command("demo", "--no-migrate", "--grids", "0")
