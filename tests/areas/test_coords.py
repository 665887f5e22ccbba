"""WGS-84 ⇄ GCJ-02 and the local area approximation."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from civicgrid.areas.coords import area_m2, gcj02_to_wgs84, out_of_china, wgs84_to_gcj02


def test_known_offset_near_dawukou() -> None:
    glng, glat = wgs84_to_gcj02(106.4, 39.0)
    # GCJ-02 moves points by a few hundred metres in northern China
    shift_m = math.hypot((glng - 106.4) * 111_195 * math.cos(math.radians(39.0)),
                         (glat - 39.0) * 111_195)
    assert 100 < shift_m < 1000


def test_round_trip_within_1e_6_degrees() -> None:
    for lng, lat in [(106.4, 39.0), (116.397, 39.909), (121.47, 31.23), (87.6, 43.8)]:
        back = gcj02_to_wgs84(*wgs84_to_gcj02(lng, lat))
        assert back == pytest.approx((lng, lat), abs=1e-6)


def test_outside_china_is_unchanged() -> None:
    assert out_of_china(2.35, 48.85)
    assert wgs84_to_gcj02(2.35, 48.85) == (2.35, 48.85)
    assert gcj02_to_wgs84(2.35, 48.85) == (2.35, 48.85)


@settings(max_examples=500, deadline=None)
@given(st.floats(74.0, 134.0), st.floats(4.0, 53.0))
def test_property_round_trip(lng: float, lat: float) -> None:
    wlng, wlat = gcj02_to_wgs84(*wgs84_to_gcj02(lng, lat))
    assert abs(wlng - lng) < 1e-6
    assert abs(wlat - lat) < 1e-6


def test_area_m2_of_one_hundredth_degree_square_at_39n() -> None:
    # 0.01° × 0.01° at 39°N ≈ 1111.95 m × 864.2 m
    expected = 1111.95 * 1111.95 * math.cos(math.radians(39.005))
    assert area_m2(box(106.4, 39.0, 106.41, 39.01)) == pytest.approx(expected, rel=1e-3)
    assert area_m2(box(0, 0, 0, 0)) == 0.0
