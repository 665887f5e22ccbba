"""Every demo login gets a token from POST /api/v1/auth/token/ and the token works."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from civicgrid.demo.build import DEMO_PASSWORD
from tests.access.reference_scope import expected_area_codes
from tests.conftest import CAST

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("username", CAST)
def test_token_for_each_demo_login(cast, username: str) -> None:  # type: ignore[no-untyped-def]
    client = APIClient()
    response = client.post("/api/v1/auth/token/", {"username": username, "password": DEMO_PASSWORD},
                           format="json")
    assert response.status_code == 200, response.content
    token = response.json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    areas = client.get("/api/v1/areas/", {"page_size": 500})
    assert areas.status_code == 200
    assert {a["code"] for a in areas.json()["results"]} == expected_area_codes(username)
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    bad = client.get("/api/v1/areas/")
    assert bad.status_code == 401 and bad.json()["code"] == "authentication_failed"
