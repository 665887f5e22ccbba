"""Home page per role and the health check."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from civicgrid.accounts.scope import roles_of
from civicgrid.core import home_data
from civicgrid.core.home import HOME_PANELS


def home(request: HttpRequest) -> HttpResponse:
    sections = []
    for role in roles_of(request.user):
        if role not in HOME_PANELS:
            continue
        title, panels = HOME_PANELS[role]
        sections.append({
            "role": role,
            "title": title,
            "panels": [
                {"panel": p, "rows": home_data.rows_for(request.user, role, p.key)} for p in panels
            ],
        })
    context = {"sections": sections, "scope": home_data.scope_summary(request.user)}
    return render(request, "core/home.html", context)


@login_not_required
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # noqa: BLE001 - any database failure means "not healthy"
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": connection.vendor})
