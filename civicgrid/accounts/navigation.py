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
    NavItem(gettext_noop("网格地图"), "areas:map", "areas.view"),
    NavItem(gettext_noop("区划与网格"), "areas:list", "areas.view"),
    NavItem(gettext_noop("审计日志"), "audit:list", "audit.view"),
    NavItem(gettext_noop("基础数据管理"), "admin:index", "areas.manage"),
    NavItem(gettext_noop("权限矩阵"), "admin:index", "roles.manage"),
    NavItem(gettext_noop("接口文档"), "swagger-ui", "areas.view"),
    NavItem(gettext_noop("账号安全"), "account_security", None),
]
