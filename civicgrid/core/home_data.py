"""The rows behind each home-page panel, read through the owning app's scoped selectors."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from civicgrid.accounts.models import User
from civicgrid.accounts.selectors import grants_of, roles_visible_to, users_visible_to
from civicgrid.areas.selectors import areas_visible_to, grids_visible_to
from civicgrid.core.audit_selectors import audit_entries_visible_to

LIMIT = 10


def scope_summary(user: User) -> list[str]:
    parts = []
    for grant in grants_of(user):
        if grant.area is not None:
            parts.append(f"{grant.role.name}：{grant.area.name}")
        elif grant.grid_code:
            grid = grids_visible_to(user).filter(code=grant.grid_code).first()
            parts.append(f"{grant.role.name}：{grid.name if grid else '网格'}（{grant.grid_code}）")
        elif grant.org_unit is not None:
            parts.append(f"{grant.role.name}：{grant.org_unit.name}")
        else:
            parts.append(f"{grant.role.name}：全系统")
    return parts


def rows_for(user: User, role: str, key: str) -> list[dict[str, Any]]:
    if key == "users":
        return [
            {"label": f"{u.username} {u.display_name}", "meta": "已停用" if not u.is_active else ""}
            for u in users_visible_to(user).order_by("-date_joined")[:LIMIT]
        ]
    if key == "reference":
        return [
            {"label": "行政区划", "meta": f"{areas_visible_to(user).count()} 个",
             "url": reverse("areas:list")},
            {"label": "现行网格", "meta": f"{grids_visible_to(user).count()} 个",
             "url": reverse("areas:map")},
        ]
    if key == "roles":
        return [
            {"label": r.name, "meta": "、".join(sorted(p.permission for p in r.permissions.all()))}
            for r in roles_visible_to(user)
        ]
    if key == "audit":
        return [
            {"label": f"#{e.seq} {e.action} {e.target}", "meta": e.at.strftime("%Y-%m-%d %H:%M:%S")}
            for e in audit_entries_visible_to(user)[:LIMIT]
        ]
    return []
