"""Shared bits of the Open311 tests: the demo key and a point in 长胜街道."""

from __future__ import annotations

import json
from typing import Any
from xml.etree import ElementTree as ET

from django.test import Client

from civicgrid.open311.demo import DEMO_KEY
from tests.cases.flows import grid_of

BASE = "/open311/v2"


def point() -> tuple[float, float]:
    """(lat, long) inside the first grid of 640202001 (the township of ``street``)."""
    grid = grid_of("640202001")
    return grid.centroid_lat, grid.centroid_lng


def post_form(**overrides: str) -> dict[str, str]:
    lat, lng = point()
    form = {"api_key": DEMO_KEY, "service_code": "shirong-laji", "lat": str(lat), "long": str(lng),
            "description": "小区东门垃圾堆放三天无人清运", "first_name": "磊", "last_name": "周",
            "phone": "13912345678", "email": "zhou@example.org", "address_string": "长胜街道东门"}
    form.update(overrides)
    return {k: v for k, v in form.items() if v is not None}


def post(fmt: str = "json", **overrides: str) -> Any:
    return Client().post(f"{BASE}/requests.{fmt}", post_form(**overrides))


def body(response: Any) -> Any:
    if response["Content-Type"].startswith("text/xml"):
        return ET.fromstring(response.content)  # noqa: S314 - our own server's answer
    return json.loads(response.content)
