"""Every role × every area/grid endpoint and page answers exactly the reference scope.

Objects outside the scope answer 404, exactly like missing ones.
"""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from civicgrid.accounts.services import issue_api_token
from civicgrid.areas.models import Area, Grid
from tests.access.reference_scope import (
    SIBLING_TOWNSHIP,
    TOWNSHIP,
    expected_area_codes,
    expected_grid_codes,
)
from tests.conftest import CAST

pytestmark = pytest.mark.django_db


def _api(user) -> APIClient:  # type: ignore[no-untyped-def]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {issue_api_token(user=user)}")
    return client


def _collect(client: APIClient, url: str) -> list[dict]:
    items: list[dict] = []
    next_url: str | None = url + ("&" if "?" in url else "?") + "page_size=500"
    while next_url:
        response = client.get(next_url)
        assert response.status_code == 200, response.content
        body = response.json()
        items.extend(body["results"])
        next_url = body["next"]
    return items


@pytest.mark.parametrize("username", CAST)
def test_api_lists_equal_reference_scope(cast, username: str) -> None:
    client = _api(cast[username])
    areas = _collect(client, "/api/v1/areas/")
    grids = _collect(client, "/api/v1/grids/")
    assert {a["code"] for a in areas} == expected_area_codes(username)
    assert {g["code"] for g in grids} == expected_grid_codes(username)
    assert all({"id", "code", "name"} <= set(item) for item in areas + grids)


@pytest.mark.parametrize("username", CAST)
def test_api_details_answer_404_outside_scope(cast, username: str) -> None:
    client = _api(cast[username])
    visible_areas = expected_area_codes(username)
    visible_grids = expected_grid_codes(username)
    for area in Area.objects.filter(code__startswith="640202"):
        status = client.get(f"/api/v1/areas/{area.pk}/").status_code
        assert status == (200 if area.code in visible_areas else 404), (username, area.code)
    for grid in Grid.objects.current().filter(code__startswith="64020200"):
        response = client.get(f"/api/v1/grids/{grid.pk}/")
        assert response.status_code == (200 if grid.code in visible_grids else 404), (username, grid.code)
        if response.status_code == 200:
            assert response.json()["geometry"]["type"] == "Polygon"
    missing = client.get("/api/v1/grids/999999999/")
    assert missing.status_code == 404
    assert missing.json()["code"] == "not_found"


@pytest.mark.parametrize("username", CAST)
def test_locate_answers_only_inside_scope(cast, username: str) -> None:
    client = _api(cast[username])
    visible = expected_grid_codes(username)
    for prefix in (TOWNSHIP, SIBLING_TOWNSHIP):
        grid = Grid.objects.current().filter(code__startswith=prefix).order_by("code").first()
        response = client.get(
            "/api/v1/grids/locate/", {"lat": grid.centroid_lat, "lng": grid.centroid_lng}
        )
        if grid.code in visible:
            assert response.status_code == 200, response.content
            assert response.json()["code"] == grid.code
        else:
            assert response.status_code == 404
            assert response.json()["code"] == "grid_not_found"


@pytest.mark.parametrize("username", CAST)
def test_pages_equal_reference_scope(cast, username: str) -> None:
    client = Client()
    client.force_login(cast[username])
    visible_areas = expected_area_codes(username)
    visible_grids = expected_grid_codes(username)
    geojson = client.get("/areas/map/grids.geojson")
    assert geojson.status_code == 200
    assert {f["properties"]["code"] for f in geojson.json()["features"]} == visible_grids
    listing = client.get("/areas/")
    assert listing.status_code == 200
    for area in Area.objects.filter(code__startswith="64020200"):
        response = client.get(f"/areas/{area.code}/")
        assert response.status_code == (200 if area.code in visible_areas else 404), (username, area.code)
        if response.status_code == 200:
            shown = {code for code in visible_grids if code.startswith(area.code)}
            body = response.content.decode()
            assert all(f'data-grid="{code}"' in body for code in shown)
            assert body.count("data-grid=") == len(shown)


def test_sibling_township_is_invisible_to_street(cast) -> None:
    client = _api(cast["street"])
    sibling = Grid.objects.current().filter(code__startswith=SIBLING_TOWNSHIP).first()
    own = Grid.objects.current().filter(code__startswith=TOWNSHIP).first()
    assert client.get(f"/api/v1/grids/{own.pk}/").status_code == 200
    response = client.get(f"/api/v1/grids/{sibling.pk}/")
    assert response.status_code == 404
    assert response.json() == client.get("/api/v1/grids/987654321/").json()
