"""Browser fixtures: Debian's Chromium driven by Playwright's sync API, against live_server.

Never ``playwright install``: the browser is the distribution's /usr/bin/chromium (override
with CHROMIUM_PATH). Without it the tests skip, except in CI (CI=true), where that fails.
Screenshots go to CIVICGRID_SCREENSHOT_DIR, else a pytest temp dir (printed at the end).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

CHROMIUM_PATH = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # CI containers often have a 64 MB /dev/shm, too small for Chromium's shared memory.
    "--disable-dev-shm-usage",
]
DEFAULT_TIMEOUT_MS = 15_000
_screenshot_dirs: list[Path] = []


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def chromium_version() -> str:
    try:
        out = subprocess.run(  # noqa: S603 - fixed local binary
            [CHROMIUM_PATH, "--version"], capture_output=True, text=True, timeout=30, check=False
        ).stdout
    except OSError:
        return "unknown"
    return out.strip().split(" built on ")[0] or "unknown"


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """One Chromium for the session."""
    if not (os.path.isfile(CHROMIUM_PATH) and os.access(CHROMIUM_PATH, os.X_OK)):
        message = f"Chromium not found at {CHROMIUM_PATH} (Debian: apt-get install chromium)"
        if _in_ci():
            pytest.fail(message + "; browser tests are required in CI", pytrace=False)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an asyncio loop in this thread; Django's async-safety check
    # would refuse the test thread's ORM calls (fixtures, live_server setup) while it runs.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM_PATH, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def new_context(browser) -> Iterator[Callable[..., object]]:  # type: ignore[no-untyped-def]
    """Factory for fresh browser contexts (own cookies), closed after the test.

    Chinese browser (zh-CN, Asia/Shanghai), like the people who use civicgrid.
    """
    contexts = []

    def make(**kwargs: object) -> object:
        options: dict[str, object] = {
            "locale": "zh-CN",
            "timezone_id": "Asia/Shanghai",
            "viewport": {"width": 1280, "height": 800},
        }
        options.update(kwargs)
        context = browser.new_context(**options)
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_context):  # type: ignore[no-untyped-def]
    """A page in a fresh desktop-sized context."""
    return new_context().new_page()


@pytest.fixture
def site(live_server, demo_city):  # type: ignore[no-untyped-def]
    """The live server's base URL, with the demo city in its database.

    live_server makes the test transactional: the database is flushed after every test, so
    ``demo_city`` (tests/conftest.py) rebuilds the city when a previous test emptied it.
    """
    return live_server.url


@pytest.fixture(scope="session")
def screenshot_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    configured = os.environ.get("CIVICGRID_SCREENSHOT_DIR")
    if configured:
        path = Path(configured)
        path.mkdir(parents=True, exist_ok=True)
    else:
        path = tmp_path_factory.mktemp("screenshots")
    _screenshot_dirs.append(path)
    return path


def pytest_terminal_summary(terminalreporter):  # type: ignore[no-untyped-def]
    for path in _screenshot_dirs:
        count = len(list(path.glob("*.png")))
        terminalreporter.write_line(f"browser screenshots: {count} in {path}")
