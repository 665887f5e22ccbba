"""Navigation per role: each entry is shown when the user holds its permission."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_noop


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    permission: str | None  # None: every logged-in user

    def url(self) -> str | None:
        try:
            return reverse(self.url_name)
        except NoReverseMatch:
            return None


NAV_ITEMS: list[NavItem] = [
    NavItem(gettext_noop("首页"), "home", None),
    NavItem(gettext_noop("消息"), "notifications:inbox", None),
    NavItem(gettext_noop("上报事件"), "cases:report", "cases.report"),
    NavItem(gettext_noop("事件办理"), "cases:list", "cases.register"),
    NavItem(gettext_noop("部门待办"), "cases:department", "cases.handle"),
    NavItem(gettext_noop("待核查"), "cases:verify", "cases.verify"),
    NavItem(gettext_noop("督办"), "cases:supervision", "cases.supervise"),
    NavItem(gettext_noop("12345受理"), "cases:hotline", "cases.callback"),
    NavItem(gettext_noop("事件查询"), "cases:lookup", "cases.callback"),
    NavItem(gettext_noop("我的反映"), "cases:follow", "cases.view_own"),
    NavItem(gettext_noop("矛盾纠纷"), "mediation:list", "mediation.view"),
    NavItem(gettext_noop("纠纷排查"), "mediation:screening", "mediation.report"),
    NavItem(gettext_noop("指挥中心"), "stats:centre", "dashboard.view"),
    NavItem(gettext_noop("网格地图"), "areas:map", "areas.view"),
    NavItem(gettext_noop("区划与网格"), "areas:list", "areas.view"),
    NavItem(gettext_noop("审计日志"), "audit:list", "audit.view"),
    NavItem(gettext_noop("基础数据管理"), "admin:index", "areas.manage"),
    NavItem(gettext_noop("权限矩阵"), "admin:index", "roles.manage"),
    NavItem(gettext_noop("接口文档"), "swagger-ui", "areas.view"),
    NavItem(gettext_noop("账号安全"), "account_security", None),
]
