"""Coordinate systems. Stored coordinates are WGS-84 (≈ CGCS2000 at street scale).

Phone map SDKs in China (AMap, Tencent, and Baidu after its own step) report GCJ-02, an
obfuscated datum offset by a few hundred metres. ``gcj02_to_wgs84`` inverts the public
forward formula by fixed-point iteration to well under a metre. Outside mainland China
GCJ-02 equals WGS-84, and the functions return the input unchanged.
"""

from __future__ import annotations

import math

import shapely

_A = 6378245.0  # Krasovsky 1940 semi-major axis used by the GCJ-02 formula
_EE = 0.00669342162296594323


def out_of_china(lng: float, lat: float) -> bool:
    return not (73.66 < lng < 135.05 and 3.86 < lat < 53.55)


def _transform_lat(x: float, y: float) -> float:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return ret


def _transform_lng(x: float, y: float) -> float:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return ret


def wgs84_to_gcj02(lng: float, lat: float) -> tuple[float, float]:
    if out_of_china(lng, lat):
        return lng, lat
    dlat = _transform_lat(lng - 105.0, lat - 35.0)
    dlng = _transform_lng(lng - 105.0, lat - 35.0)
    radlat = lat / 180.0 * math.pi
    magic = 1 - _EE * math.sin(radlat) ** 2
    sqrtmagic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrtmagic) * math.pi)
    dlng = (dlng * 180.0) / (_A / sqrtmagic * math.cos(radlat) * math.pi)
    return lng + dlng, lat + dlat


def gcj02_to_wgs84(lng: float, lat: float, *, tolerance: float = 1e-9) -> tuple[float, float]:
    """Invert ``wgs84_to_gcj02`` iteratively (converges in a few steps to < 1e-9 degrees)."""
    if out_of_china(lng, lat):
        return lng, lat
    wlng, wlat = lng, lat
    for _ in range(30):
        glng, glat = wgs84_to_gcj02(wlng, wlat)
        dlng, dlat = glng - lng, glat - lat
        wlng, wlat = wlng - dlng, wlat - dlat
        if abs(dlng) < tolerance and abs(dlat) < tolerance:
            break
    return wlng, wlat


_M_PER_DEGREE = 6371008.8 * math.pi / 180.0  # mean Earth radius, metres per degree of arc


def area_m2(geom: shapely.Geometry) -> float:
    """Approximate area in square metres of a small WGS-84 (lng/lat) geometry.

    A local equirectangular projection about the geometry's mean latitude: exact enough
    (well under 1 %) at the scale of a grid, a village or an overlap between two grids.
    """
    if geom.is_empty:
        return 0.0
    _minx, miny, _maxx, maxy = geom.bounds
    mid_lat = math.radians((miny + maxy) / 2.0)
    return float(geom.area) * _M_PER_DEGREE * _M_PER_DEGREE * math.cos(mid_lat)
