"""The case closed loop in Chromium, every step through the pages (forms and buttons):

1. a resident's report → street registers → dispatches to 城管 → dept signs → handles →
   grid member verifies → resident rates;
2. a grid member's 即报即办 made offline, sent once when the signal returns → centre verifies;
3. a 12345 call → returned once by the department → re-dispatched → handled → closed → 回访.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import login

pytestmark = pytest.mark.browser


def grid_code() -> str:
    from civicgrid.accounts.models import RoleGrant

    return RoleGrant.objects.get(user__username="grid", role__code="grid_member").grid_code


def as_user(new_context, site: str, username: str, path: str):  # type: ignore[no-untyped-def]
    page = new_context().new_page()
    page.goto(site + path)
    login(page, username)
    return page


def state_is(page, state: str) -> None:  # type: ignore[no-untyped-def]
    expect(page.get_by_test_id("case-state")).to_have_attribute("data-state", state)


def act(page, action: str, fill: dict[str, str] | None = None,  # type: ignore[no-untyped-def]
        select: dict[str, str] | None = None, check: str | None = None) -> None:
    box = page.locator(f'details[data-action="{action}"]')
    if box.get_attribute("open") is None:
        box.locator("summary").click()
    for name, value in (select or {}).items():
        box.locator(f'select[name="{name}"]').select_option(value)
    for name, value in (fill or {}).items():
        box.locator(f'[name="{name}"]').fill(value)
    if check:
        box.locator(check).check()
    with page.expect_navigation():
        page.get_by_test_id(f"do-{action}").click()
    expect(page.locator(".messages")).to_contain_text("操作成功")


def open_case_from(page, site: str, path: str, code: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(site + path)
    page.locator(f'tr[data-code="{code}"] a').first.click()
    expect(page.get_by_test_id("case-code")).to_have_text(code)


def test_resident_report_through_every_role_to_closed_and_rated(site, new_context, screenshot_dir):  # type: ignore[no-untyped-def]
    resident = as_user(new_context, site, "resident", "/cases/report/")
    resident.locator("#id_title").fill("小区门口垃圾堆放")
    resident.locator("#id_description").fill("垃圾三天没有清运，气味很大")
    resident.locator("#id_grid").select_option(grid_code())
    resident.get_by_test_id("report-submit").click()
    resident.get_by_test_id("sent-link").click()
    state_is(resident, "reported")
    code = resident.get_by_test_id("case-code").inner_text()
    expect(resident.get_by_test_id("no-actions")).to_be_visible()
    resident.goto(site + "/cases/follow/")
    expect(resident.locator(f'tr[data-code="{code}"]')).to_contain_text("待受理")

    street = as_user(new_context, site, "street", "/cases/")
    expect(street.get_by_test_id("count-reported")).not_to_have_text("0")
    open_case_from(street, site, "/cases/?tab=reported", code)
    act(street, "register", select={"category": "shirong-laji"})
    state_is(street, "registered")
    expect(street.get_by_test_id("case-category")).to_contain_text("垃圾堆放与清运不及时")
    expect(street.locator('details[data-action="dispatch"] select[name="lead"] option:checked')) \
        .to_have_text("大武口区城市管理局")
    act(street, "dispatch", fill={"note": "请尽快清运"})
    state_is(street, "dispatched")
    street.screenshot(path=screenshot_dir / "case-dispatched-street.png", full_page=True)

    dept = as_user(new_context, site, "dept", "/cases/department/")
    open_case_from(dept, site, "/cases/department/?tab=to_sign", code)
    act(dept, "sign")
    state_is(dept, "in_progress")
    act(dept, "handle", fill={"result": "已安排环卫车清运完毕"})
    state_is(dept, "handled")

    grid = as_user(new_context, site, "grid", "/cases/verify/")
    open_case_from(grid, site, "/cases/verify/", code)
    act(grid, "verify", fill={"note": "现场已清理干净"}, check='[data-testid="verify-pass"]')
    state_is(grid, "closed")

    resident.goto(site + "/cases/mine/?tab=to_rate")
    resident.locator(f'tr[data-code="{code}"] a').first.click()
    act(resident, "callback", fill={"comment": "处理很及时"},
        check='input[name="satisfaction"][value="5"]')
    state_is(resident, "closed")
    expect(resident.get_by_test_id("satisfaction")).to_have_text("5 / 5")
    expect(resident.get_by_test_id("timeline").locator("li")).to_have_count(7)
    resident.screenshot(path=screenshot_dir / "case-closed-resident.png", full_page=True)


def no_horizontal_overflow(page) -> None:  # type: ignore[no-untyped-def]
    width, inner = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= inner, f"{page.url}: page is {width}px wide in a {inner}px viewport"


PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def test_grid_member_on_the_spot_offline_then_sent_once_and_verified(site, new_context, screenshot_dir):  # type: ignore[no-untyped-def]
    from civicgrid.cases.models import Case

    context = new_context(**PHONE, geolocation={"latitude": 39.0, "longitude": 106.4},
                          permissions=["geolocation"])
    grid = context.new_page()
    grid.goto(site + "/cases/report/")
    login(grid, "grid")
    grid.goto(site + "/cases/report/")
    grid.locator("#id_title").fill("楼道小广告")
    grid.locator("#id_description").fill("三单元楼道墙面贴满小广告")
    grid.locator("#id_grid").select_option(grid_code())
    grid.get_by_test_id("on-the-spot").check()
    grid.locator("#id_on_the_spot_result").fill("已现场清除")
    context.set_offline(True)
    grid.get_by_test_id("report-submit").click()
    expect(grid.get_by_test_id("queue-count")).to_have_text("1")
    expect(grid.get_by_test_id("offline-queue")).to_be_visible()
    no_horizontal_overflow(grid)
    grid.screenshot(path=screenshot_dir / "case-offline-queue-grid.png", full_page=True)
    assert not Case.objects.filter(title="楼道小广告").exists()

    context.set_offline(False)  # the signal returns: the `online` event sends the queue
    grid.get_by_test_id("sent-link").click()
    state_is(grid, "handled")
    no_horizontal_overflow(grid)
    code = grid.get_by_test_id("case-code").inner_text()
    grid.goto(site + "/cases/report/")  # a reload flushes again: nothing is left to send
    expect(grid.get_by_test_id("offline-queue")).to_be_hidden()
    assert Case.objects.filter(title="楼道小广告").count() == 1

    street = as_user(new_context, site, "street", "/cases/?tab=handled")
    open_case_from(street, site, "/cases/?tab=handled", code)
    expect(street.locator(".badge.ok")).to_contain_text("即报即办")
    act(street, "verify", check='[data-testid="verify-pass"]')
    state_is(street, "closed")


def test_hotline_call_returned_once_then_redispatched_handled_closed(site, new_context):  # type: ignore[no-untyped-def]
    hotline = as_user(new_context, site, "hotline", "/cases/hotline/")
    hotline.locator("#id_reporter_name").fill("李先生")
    hotline.locator("#id_reporter_phone").fill("13912345678")
    hotline.locator("#id_title").fill("路边占道经营")
    hotline.locator("#id_description").fill("早市摊贩占用人行道")
    hotline.locator("#id_category").select_option("jiemian-zhandao")
    hotline.locator("#id_grid").select_option(grid_code())
    with hotline.expect_navigation():
        hotline.get_by_test_id("hotline-submit").click()
    state_is(hotline, "reported")
    code = hotline.get_by_test_id("case-code").inner_text()
    expect(hotline.locator("body")).to_contain_text("139****5678")

    street = as_user(new_context, site, "street", "/cases/")
    open_case_from(street, site, "/cases/?tab=reported", code)
    act(street, "register")
    act(street, "dispatch")
    state_is(street, "dispatched")

    dept = as_user(new_context, site, "dept", "/cases/department/")
    open_case_from(dept, site, "/cases/department/?tab=to_sign", code)
    act(dept, "return", fill={"reason": "不属于本部门职责，建议派市场监管"})
    state_is(dept, "registered")
    expect(dept.get_by_test_id("no-actions")).to_be_visible()

    street.reload()
    state_is(street, "registered")
    act(street, "dispatch", fill={"note": "经核实属城管职责，请签收"})
    state_is(street, "dispatched")

    dept.reload()
    act(dept, "sign")
    act(dept, "handle", fill={"result": "已劝离摊贩并设置隔离栏"})
    state_is(dept, "handled")

    street.reload()
    act(street, "verify", check='[data-testid="verify-pass"]')
    state_is(street, "closed")

    hotline.goto(site + "/cases/lookup/")
    hotline.locator("#id_code").fill(code.lower())
    with hotline.expect_navigation():
        hotline.get_by_test_id("lookup-code").click()
    act(hotline, "callback", fill={"comment": "来电人表示满意"},
        check='input[name="satisfaction"][value="4"]')
    expect(hotline.get_by_test_id("satisfaction")).to_have_text("4 / 5")
    actions = hotline.get_by_test_id("timeline").locator("li")
    expect(actions.filter(has_text=re.compile("退回"))).to_have_count(1)
    expect(actions.filter(has_text=re.compile("^.*派遣"))).to_have_count(2)
