"""Every demo login, in a real browser: Chinese login page → role home → logout; lockout."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import DEMO_ROLES, login

pytestmark = pytest.mark.browser

LOGIN_URL = re.compile(r"/accounts/login/")


def expect_login_page(page) -> None:  # type: ignore[no-untyped-def]
    expect(page).to_have_url(LOGIN_URL)
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.locator("h1")).to_have_text("登录")
    expect(page.get_by_test_id("login-submit")).to_be_visible()


@pytest.mark.parametrize(("username", "role"), list(DEMO_ROLES.items()), ids=list(DEMO_ROLES))
def test_demo_login_home_and_logout(site, page, screenshot_dir, username, role):  # type: ignore[no-untyped-def]
    page.goto(site + "/")
    expect_login_page(page)
    expect(page).to_have_url(re.compile(r"\?next=/$"))

    login(page, username)
    expect(page).to_have_url(site + "/")
    expect(page.get_by_test_id("home-title")).to_be_visible()
    expect(page.locator(f'section[data-role="{role}"]')).not_to_have_count(0)
    page.screenshot(path=screenshot_dir / f"home-{username}.png", full_page=True)

    page.get_by_test_id("logout").click()
    expect_login_page(page)
    page.goto(site + "/")  # the session is really gone
    expect_login_page(page)


def test_six_failed_logins_lock_the_account(site, page):  # type: ignore[no-untyped-def]
    from axes.utils import reset

    username = "resident"
    try:
        page.goto(site + "/accounts/login/")
        login(page, username, "wrong-password-1")
        expect(page.get_by_test_id("login-error")).to_be_visible()
        expect(page.get_by_test_id("locked-out")).to_have_count(0)
        for attempt in range(2, 6):
            page.goto(site + "/accounts/login/")
            login(page, username, f"wrong-password-{attempt}")
        # The sixth attempt has the right password and is still refused.
        page.goto(site + "/accounts/login/")
        login(page, username)
        expect(page.get_by_test_id("locked-out")).to_be_visible()
        expect(page.get_by_test_id("locked-out")).to_contain_text("账号已锁定")
        expect(page.get_by_test_id("home-title")).to_have_count(0)
        page.goto(site + "/")
        expect_login_page(page)

        # The lock is per account: another user still gets in from the same browser.
        page.goto(site + "/accounts/login/")
        login(page, "mediator")
        expect(page.get_by_test_id("home-title")).to_be_visible()
    finally:
        reset(username=username)
