"""The command centre in Chromium, desktop (wall screen) and phone: charts drawn by ECharts,
the grid choropleth by Leaflet without tiles, nothing loaded from outside, no sideways
scrolling on the phone; screenshots of both."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from civicgrid.demo.cases import build_cases
from civicgrid.stats import rollups
from tests.browser.helpers import login, path_of, same_origin
from tests.browser.test_phone import PHONE, no_horizontal_overflow

pytestmark = pytest.mark.browser


@pytest.fixture
def city_with_cases(site):  # type: ignore[no-untyped-def]
    build_cases(300, seed=9)
    rollups.rebuild()
    return site


def _open_centre(page, site: str) -> tuple[list[str], list[str]]:  # type: ignore[no-untyped-def]
    requests: list[str] = []
    bad: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("requestfailed", lambda r: bad.append(f"{r.url} failed: {r.failure}"))
    page.on("response", lambda r: bad.append(f"{r.url} -> {r.status}")
            if r.status >= 400 and path_of(r.url) != "/favicon.ico" else None)
    page.goto(site + "/")
    login(page, "leader")
    page.goto(site + "/stats/?period=year")
    expect(page.locator("#centre")).to_have_attribute("data-ready", "1")
    return requests, bad


def _assert_drawn(page, site: str, requests: list[str], bad: list[str]) -> None:  # type: ignore[no-untyped-def]
    for chart in ("chart-trend", "chart-channel", "chart-township"):
        expect(page.get_by_test_id(chart).locator("canvas").first).to_be_visible()
    assert int(page.get_by_test_id("map-status").get_attribute("data-grids") or 0) > 0
    assert page.locator("#centre-map path.leaflet-interactive").count() > 0
    assert int(page.locator('[data-kpi="received"]').inner_text().replace(",", "")) > 0
    paths = [path_of(u) for u in requests]
    assert "/static/vendor/echarts/echarts.min.js" in paths
    external = [u for u in requests if not same_origin(u, site)]
    assert external == [], f"requests left the server: {external}"
    assert bad == [], f"failed requests: {bad}"


def test_command_centre_on_a_wall_screen(city_with_cases, new_context, screenshot_dir):  # type: ignore[no-untyped-def]
    page = new_context(viewport={"width": 1920, "height": 1080}).new_page()
    requests, bad = _open_centre(page, city_with_cases)
    _assert_drawn(page, city_with_cases, requests, bad)
    page.screenshot(path=screenshot_dir / "centre-desktop.png", full_page=True)
    # a number opens the list behind it, with the same count
    shown = page.locator('[data-kpi="closed"]').inner_text().replace(",", "")
    page.get_by_test_id("kpi-closed").click()
    expect(page.get_by_test_id("drill-count")).to_have_text(shown)


def test_command_centre_on_a_phone(city_with_cases, new_context, screenshot_dir):  # type: ignore[no-untyped-def]
    page = new_context(**PHONE).new_page()
    requests, bad = _open_centre(page, city_with_cases)
    _assert_drawn(page, city_with_cases, requests, bad)
    no_horizontal_overflow(page)
    page.screenshot(path=screenshot_dir / "centre-phone.png", full_page=True)
