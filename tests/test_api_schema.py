"""OpenAPI 3 at /api/schema/ and Swagger UI at /api/docs/, served without internet."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from django.test import Client

pytestmark = pytest.mark.django_db


def test_schema_is_valid_without_warnings(tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    text = out.read_text(encoding="utf-8")
    for path in ("/api/v1/areas/", "/api/v1/grids/", "/api/v1/grids/locate/", "/api/v1/auth/token/"):
        assert f"  {path}:" in text


def test_schema_and_docs_need_login_and_load_assets_locally(cast) -> None:  # type: ignore[no-untyped-def]
    anonymous = Client()
    assert anonymous.get("/api/docs/").status_code == 302
    client = Client()
    client.force_login(cast["center"])
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    assert schema.json()["openapi"].startswith("3.")
    docs = client.get("/api/docs/").content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', docs)
    assert assets, "Swagger UI page has no assets"
    assert all(a.startswith("/") and not a.startswith("//") for a in assets), assets
    for asset in assets:
        if asset.startswith("/static/"):
            assert client.get(asset).status_code == 200, asset
