from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from civicgrid.accounts.models import Role
from civicgrid.accounts.navigation import NAV_ITEMS
from civicgrid.accounts.scope import permissions_of, roles_of


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    perms = permissions_of(user)
    items = []
    seen: set[str] = set()
    for item in NAV_ITEMS:
        if item.permission is not None and item.permission not in perms:
            continue
        url = item.url()
        if url is None or url in seen:
            continue
        seen.add(url)
        items.append({"label": item.label, "url": url, "active": request.path == url})
    codes = roles_of(user)
    names = dict(Role.objects.filter(code__in=codes).values_list("code", "name"))
    return {"nav_items": items, "user_role_names": [names.get(c, c) for c in codes]}
