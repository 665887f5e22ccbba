"""Dispute mediation in Chromium, every step through the pages (forms and buttons):

1. a grid member reports a dispute on the phone → the village mediator accepts, mediates,
   fails and escalates it → the township mediator (on the phone) mediates, resolves it with
   an agreement (PDF), follows up and closes it;
2. a 重大 risk dispute reported by the grid member alerts the leader at once (inbox → dispute).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import login
from tests.browser.test_case_flows import act

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def village_mediator() -> str:
    from civicgrid.accounts.models import RoleGrant
    from civicgrid.areas.models import Grid

    code = RoleGrant.objects.get(user__username="grid", role__code="grid_member").grid_code
    village = Grid.objects.current().get(code=code).village.code
    return f"tiaojie-{village}"


def as_user(new_context, site: str, username: str, path: str, **options):  # type: ignore[no-untyped-def]
    page = new_context(**options).new_page()
    page.goto(site + path)
    login(page, username)
    return page


def report(page, site: str, summary: str, risk: str = "low", reasons: str = "") -> str:  # type: ignore[no-untyped-def]
    page.goto(site + "/disputes/new/")
    page.get_by_test_id("dispute-type").select_option("neighbour")
    page.get_by_test_id("dispute-risk").select_option(risk)
    page.get_by_test_id("dispute-risk-reasons").fill(reasons)
    page.get_by_test_id("dispute-summary").fill(summary)
    page.get_by_test_id("party0-name").fill("马建军")
    page.get_by_test_id("party0-phone").fill("13812345678")
    page.get_by_test_id("party1-name").fill("李德福")
    with page.expect_navigation():
        page.get_by_test_id("dispute-submit").click()
    expect(page.get_by_test_id("dispute-state")).to_have_attribute("data-state", "registered")
    expect(page.get_by_test_id("parties")).to_contain_text("138****5678")
    expect(page.get_by_test_id("parties")).not_to_contain_text("13812345678")
    return page.get_by_test_id("dispute-code").inner_text()


def open_dispute(page, site: str, tab: str, code: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(site + f"/disputes/?tab={tab}")
    page.locator(f'li[data-code="{code}"] a').first.click()
    expect(page.get_by_test_id("dispute-code")).to_have_text(code)


def test_village_fails_township_resolves_with_agreement_follow_up_close(  # type: ignore[no-untyped-def]
        site, new_context, screenshot_dir):
    grid = as_user(new_context, site, "grid", "/disputes/new/", **PHONE)
    code = report(grid, site, "两户因院墙排水沟归属发生争执，多次口角")
    grid.screenshot(path=str(screenshot_dir / "mediation-1-reported-phone.png"), full_page=True)

    village = as_user(new_context, site, village_mediator(), "/disputes/")
    open_dispute(village, site, "todo", code)
    act(village, "accept")
    act(village, "session", fill={"place": "长胜村调委会调解室", "notes": "双方各执一词，未达成一致"})
    expect(village.get_by_test_id("dispute-state")).to_have_attribute("data-state", "mediating")
    act(village, "fail", fill={"reason": "对排水沟归属分歧较大"})
    act(village, "escalate", fill={"reason": "需街道司法所协调"})
    expect(village.get_by_test_id("dispute-level")).to_have_attribute("data-level", "township")
    expect(village.get_by_test_id("dispute-state")).to_have_attribute("data-state", "accepted")

    township = as_user(new_context, site, "mediator", "/disputes/", **PHONE)
    open_dispute(township, site, "mediating", code)
    act(township, "session", fill={"place": "长胜街道司法所", "notes": "现场查看后双方同意改道"})
    act(township, "resolve", fill={"terms": "李德福于十日内将排水沟改道至自家院内一侧",
                                   "performance_method": "十日内自行改道"})
    expect(township.get_by_test_id("dispute-state")).to_have_attribute("data-state", "resolved")
    pdf = township.request.get(site + township.get_by_test_id("agreement-pdf").get_attribute("href"))
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")
    act(township, "follow_up", fill={"notes": "已改道，双方满意"}, select={"performance": "fulfilled"})
    expect(township.get_by_test_id("performance")).to_have_text("已履行")
    act(township, "close", fill={"note": "协议已履行，案结事了"})
    expect(township.get_by_test_id("dispute-state")).to_have_attribute("data-state", "closed")
    expect(township.get_by_test_id("timeline").locator("li")).to_have_count(9)
    township.screenshot(path=str(screenshot_dir / "mediation-2-closed-phone.png"), full_page=True)


def test_a_major_risk_dispute_alerts_the_leader_at_once(site, new_context, screenshot_dir):  # type: ignore[no-untyped-def]
    grid = as_user(new_context, site, "grid", "/disputes/new/", **PHONE)
    code = report(grid, site, "征地补偿分配不均，二十余名村民聚集", risk="major",
                  reasons="人数多、情绪激动，有群体性事件苗头")
    expect(grid.locator(".messages")).to_contain_text("即时报告")

    leader = as_user(new_context, site, "leader", "/inbox/")
    item = leader.get_by_test_id("notification").filter(has_text=code)
    expect(item).to_contain_text("重大")
    with leader.expect_navigation():
        item.get_by_role("button", name="查看").click()
    expect(leader.get_by_test_id("dispute-code")).to_have_text(code)
    expect(leader.get_by_test_id("dispute-risk")).to_have_attribute("data-risk", "major")
    leader.goto(site + "/disputes/?tab=watch")
    expect(leader.locator(f'li[data-code="{code}"]')).to_be_visible()
    leader.goto(site + "/disputes/stats/")
    expect(leader.get_by_test_id("levels")).to_be_visible()
    leader.screenshot(path=str(screenshot_dir / "mediation-3-leader-stats.png"), full_page=True)
    # a number opens exactly the disputes behind it
    resolved = leader.get_by_test_id("resolved").inner_text()
    with leader.expect_navigation():
        leader.get_by_test_id("resolved").click()
    expect(leader.get_by_test_id("count")).to_contain_text(f"共 {resolved} 件")
