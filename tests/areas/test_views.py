"""Area pages: the tree, and the map that works without tiles (a tile URL is optional)."""

from __future__ import annotations

import pytest
from django.test import override_settings

from tests.accounts.conftest import login_client

pytestmark = pytest.mark.django_db


def test_map_has_no_tiles_by_default_and_loads_leaflet_locally(cast) -> None:  # type: ignore[no-untyped-def]
    body = login_client(cast["street"]).get("/areas/map/").content.decode()
    assert 'data-tile-url=""' in body
    assert "/static/vendor/leaflet/leaflet.js" in body
    assert "http://" not in body and "https://" not in body


@override_settings(MAP_TILE_URL="http://gis.local/tiles/{z}/{x}/{y}.png", MAP_TILE_ATTRIBUTION="本地GIS")
def test_map_uses_a_configured_tile_url(cast) -> None:  # type: ignore[no-untyped-def]
    body = login_client(cast["street"]).get("/areas/map/").content.decode()
    assert 'data-tile-url="http://gis.local/tiles/{z}/{x}/{y}.png"' in body
    assert 'data-tile-attribution="本地GIS"' in body


def test_geojson_filters_by_area_inside_the_scope(cast) -> None:  # type: ignore[no-untyped-def]
    client = login_client(cast["center"])
    everything = client.get("/areas/map/grids.geojson").json()["features"]
    township = client.get("/areas/map/grids.geojson", {"area": "640202002"}).json()["features"]
    assert 0 < len(township) < len(everything)
    assert all(f["properties"]["code"].startswith("640202002") for f in township)
    assert all(f["geometry"]["type"] == "Polygon" for f in township)


def test_area_list_starts_at_the_top_of_the_scope(cast) -> None:  # type: ignore[no-untyped-def]
    body = login_client(cast["street"]).get("/areas/").content.decode()
    assert "/areas/640202001/" in body and "/areas/640202002/" not in body
