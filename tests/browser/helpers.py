"""Small helpers for the browser tests."""

from __future__ import annotations

from urllib.parse import urlsplit

DEMO_PASSWORD = "Demo-2026!"  # noqa: S105 - the published demo password

# Demo login → the role code of the home-page section it must see.
DEMO_ROLES = {
    "sysadmin": "sysadmin",
    "secadmin": "secadmin",
    "auditor": "auditor",
    "leader": "leader",
    "center": "center_operator",
    "street": "center_operator",
    "grid": "grid_member",
    "head": "household_head",
    "hotline": "hotline_agent",
    "dept": "dept_handler",
    "mediator": "mediator",
    "resident": "resident",
}


def login(page, username: str, password: str = DEMO_PASSWORD) -> None:  # type: ignore[no-untyped-def]
    """Fill in the login form the page is showing and submit it."""
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    with page.expect_navigation():
        page.locator('[data-testid="login-submit"]').click()


def path_of(url: str) -> str:
    return urlsplit(url).path


def same_origin(url: str, base_url: str) -> bool:
    """True for URLs served by the live server itself (or inline data:/blob: URLs)."""
    parts, base = urlsplit(url), urlsplit(base_url)
    if parts.scheme in {"data", "blob", "about"}:
        return True
    return (parts.scheme, parts.hostname, parts.port) == (base.scheme, base.hostname, base.port)
