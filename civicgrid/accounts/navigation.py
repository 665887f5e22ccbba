"""Navigation per role: each entry is shown when the user holds its permission."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse


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
    NavItem("首页", "home", None),
    NavItem("网格地图", "areas:map", "areas.view"),
    NavItem("区划与网格", "areas:list", "areas.view"),
    NavItem("审计日志", "audit:list", "audit.view"),
    NavItem("基础数据管理", "admin:index", "areas.manage"),
    NavItem("权限矩阵", "admin:index", "roles.manage"),
    NavItem("接口文档", "swagger-ui", "areas.view"),
    NavItem("账号安全", "account_security", None),
]
