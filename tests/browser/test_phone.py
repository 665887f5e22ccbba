"""Phone width (390×844): no sideways scrolling; the grid map works with no external requests."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import login, path_of, same_origin

pytestmark = pytest.mark.browser

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 3,
    "is_mobile": True,
    "has_touch": True,
}


def no_horizontal_overflow(page) -> None:  # type: ignore[no-untyped-def]
    width, inner = page.evaluate(
        "() => [document.documentElement.scrollWidth, window.innerWidth]"
    )
    assert width <= inner, f"{page.url}: page is {width}px wide in a {inner}px viewport"


def test_phone_home_and_grid_map(site, new_context, screenshot_dir):  # type: ignore[no-untyped-def]
    page = new_context(**PHONE).new_page()
    requests: list[str] = []
    bad: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("requestfailed", lambda r: bad.append(f"{r.url} failed: {r.failure}"))
    page.on(
        "response",
        lambda r: bad.append(f"{r.url} -> {r.status}")
        if r.status >= 400 and path_of(r.url) != "/favicon.ico"
        else None,
    )

    page.goto(site + "/")
    no_horizontal_overflow(page)  # the login page
    login(page, "grid")
    expect(page.get_by_test_id("home-title")).to_be_visible()
    no_horizontal_overflow(page)
    page.screenshot(path=screenshot_dir / "phone-home-grid.png", full_page=True)

    page.goto(site + "/areas/map/")
    map_el = page.locator("#map")
    expect(map_el).to_have_attribute("data-loaded", re.compile(r"^[1-9][0-9]*$"))
    assert page.evaluate("() => window.L && window.L.version") == "1.9.4"
    no_horizontal_overflow(page)
    page.screenshot(path=screenshot_dir / "phone-map-grid.png")

    paths = [path_of(url) for url in requests]
    assert "/static/vendor/leaflet/leaflet.js" in paths
    assert "/static/vendor/leaflet/leaflet.css" in paths
    external = [url for url in requests if not same_origin(url, site)]
    assert external == [], f"requests left the server: {external}"
    assert bad == [], f"failed requests: {bad}"
