"""Suspected duplicates: same category, within the radius, lately, open, in the user's scope."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from django.utils import timezone

from civicgrid.areas.models import Grid
from civicgrid.cases import services
from civicgrid.cases.duplicates import (
    EARTH_RADIUS_M,
    haversine_m,
    similar_open_candidates,
    similar_open_cases,
)
from civicgrid.cases.intake import Report, report_case
from civicgrid.cases.models import Case, CaseEvent, Category, State

pytestmark = pytest.mark.django_db

CATEGORY = "shirong-laji"


def _grid(prefix: str = "640202001") -> Grid:
    grid = Grid.objects.current().filter(code__startswith=prefix).order_by("code").first()
    assert grid is not None
    return grid


def _offset(lng: float, lat: float, north_m: float = 0.0, east_m: float = 0.0) -> tuple[float, float]:
    dlat = math.degrees(north_m / EARTH_RADIUS_M)
    dlng = math.degrees(east_m / (EARTH_RADIUS_M * math.cos(math.radians(lat))))
    return lng + dlng, lat + dlat


def _report(actor, grid: Grid, lng: float, lat: float, *, category: str = CATEGORY,  # type: ignore[no-untyped-def]
            title: str = "垃圾堆放") -> Case:
    return report_case(actor=actor, report=Report(
        channel="grid", title=title, description="小区门口垃圾无人清运", category=category,
        lng=lng, lat=lat, grid_code=grid.code))


@pytest.fixture
def origin(cast):  # type: ignore[no-untyped-def]
    grid = _grid()
    return grid, _report(cast["grid"], grid, grid.centroid_lng, grid.centroid_lat)


def test_haversine_matches_a_known_distance() -> None:
    # one degree of latitude ≈ 111.195 km on the mean sphere
    assert haversine_m(106.4, 39.0, 106.4, 40.0) == pytest.approx(111_195, rel=1e-4)
    lng, lat = _offset(106.4, 39.0, north_m=120, east_m=160)
    assert haversine_m(106.4, 39.0, lng, lat) == pytest.approx(200, abs=0.5)


def test_within_the_radius_in_and_beyond_it_out(cast, origin) -> None:  # type: ignore[no-untyped-def]
    grid, case = origin
    near = _report(cast["grid"], grid, *_offset(case.lng, case.lat, north_m=120, east_m=160))  # 200 m
    far = _report(cast["grid"], grid, *_offset(case.lng, case.lat, east_m=300))
    edge = _report(cast["grid"], grid, *_offset(case.lng, case.lat, north_m=-245))
    found = similar_open_candidates(user=cast["street"], case=case)
    assert [c.case.pk for c in found] == [near.pk, edge.pk]  # nearest first
    assert found[0].distance_m == pytest.approx(200, abs=1)
    assert far.pk not in [c.pk for c in similar_open_cases(user=cast["street"], case=case)]
    # the radius is the category's
    Category.objects.filter(code=CATEGORY).update(duplicate_radius_m=350)
    case.refresh_from_db()
    case = Case.objects.select_related("category").get(pk=case.pk)
    assert {c.pk for c in similar_open_cases(user=cast["street"], case=case)} == {near.pk, far.pk, edge.pk}


def test_other_category_old_closed_merged_and_itself_are_excluded(cast, origin) -> None:  # type: ignore[no-untyped-def]
    grid, case = origin
    at = (case.lng, case.lat)
    same = _report(cast["grid"], grid, *at)
    _report(cast["grid"], grid, *at, category="shirong-guanggao", title="小广告")
    old = _report(cast["grid"], grid, *at)
    Case.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=31))
    recent_enough = _report(cast["grid"], grid, *at)
    Case.objects.filter(pk=recent_enough.pk).update(created_at=timezone.now() - dt.timedelta(days=29))
    rejected = _report(cast["grid"], grid, *at)
    services.reject(actor=cast["street"], case_id=rejected.pk, reason="重复上报")
    merged = _report(cast["grid"], grid, *at)
    services.merge(actor=cast["street"], case_id=merged.pk, into=same.pk)
    found = {c.pk for c in similar_open_cases(user=cast["street"], case=case)}
    assert found == {same.pk, recent_enough.pk}
    assert case.pk not in found
    assert len(similar_open_cases(user=cast["street"], case=case, limit=1)) == 1


def test_the_window_follows_the_setting(cast, origin, settings) -> None:  # type: ignore[no-untyped-def]
    grid, case = origin
    older = _report(cast["grid"], grid, case.lng, case.lat)
    Case.objects.filter(pk=older.pk).update(created_at=timezone.now() - dt.timedelta(days=10))
    assert [c.pk for c in similar_open_cases(user=cast["street"], case=case)] == [older.pk]
    settings.CASE_DUPLICATE_DAYS = 7
    assert similar_open_cases(user=cast["street"], case=case) == []


def test_nothing_outside_the_users_scope_leaks(cast, origin) -> None:  # type: ignore[no-untyped-def]
    grid, case = origin
    # same point, but filed under a grid of a sibling township (长城街道)
    elsewhere = _report(cast["center"], _grid("640202004"), case.lng, case.lat)
    assert elsewhere.area_code.startswith("640202004")
    assert [c.pk for c in similar_open_cases(user=cast["center"], case=case)] == [elsewhere.pk]
    assert similar_open_cases(user=cast["street"], case=case) == []
    assert similar_open_cases(user=cast["resident"], case=case) == []
    assert similar_open_cases(user=None, case=case) == []


def test_a_case_without_location_or_category_has_no_suggestions(cast, origin) -> None:  # type: ignore[no-untyped-def]
    grid, case = origin
    _report(cast["grid"], grid, case.lng, case.lat)
    bare = report_case(actor=cast["grid"], report=Report(
        channel="grid", title="无位置", description="描述", category=CATEGORY, grid_code=grid.code))
    assert bare.lng is None
    assert similar_open_cases(user=cast["street"], case=bare) == []


def test_merge_tells_both_timelines(cast, origin) -> None:  # type: ignore[no-untyped-def]
    grid, case = origin
    dup = _report(cast["resident"], grid, case.lng, case.lat)
    services.merge(actor=cast["street"], case_id=dup.pk, into=case.pk, note="同一处垃圾")
    dup.refresh_from_db()
    assert (dup.state, dup.merged_into_id) == (State.MERGED, case.pk) and dup.closed_at
    merged = CaseEvent.objects.get(case=dup, action="merge")
    assert (merged.from_state, merged.to_state, merged.data["into"]) == ("reported", "merged", case.pk)
    joined = CaseEvent.objects.get(case=case, action="merged_from")
    assert joined.from_state == joined.to_state == State.REPORTED
    assert joined.data == {"from": dup.pk, "from_code": dup.code}
    assert joined.actor == cast["street"] and joined.at == merged.at
    case.refresh_from_db()
    assert case.state == State.REPORTED  # the target goes on as it was


def test_with_many_candidates_the_nearest_within_the_radius_come_back(cast, origin) -> None:  # type: ignore[no-untyped-def]
    # the nearest are picked in SQL (twice the limit) before the exact distance decides: the
    # answer must be the same as measuring every candidate
    grid, case = origin
    by_distance = {}
    for i, metres in enumerate([240, 30, 260, 180, 90, 400, 10, 150, 60, 249, 120, 210]):
        bearing = math.radians(i * 47)
        other = _report(cast["grid"], grid, *_offset(case.lng, case.lat, north_m=metres * math.cos(bearing),
                                                     east_m=metres * math.sin(bearing)))
        by_distance[other.pk] = haversine_m(case.lng, case.lat, other.lng, other.lat)
    inside = sorted((d, pk) for pk, d in by_distance.items() if d <= 250)
    for limit in (1, 3, 5, 20):
        found = similar_open_candidates(user=cast["street"], case=case, limit=limit)
        assert [c.case.pk for c in found] == [pk for _d, pk in inside[:limit]]
