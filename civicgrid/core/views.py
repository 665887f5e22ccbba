"""Home page per role, the health check, and the error handlers (JSON under /api/)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views import defaults
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


# --- errors: API paths answer in the API's error format, pages keep Django's pages --------

API_PREFIX = "/api/"


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def _api_error(code: str, message: str, status: int) -> JsonResponse:
    from civicgrid.core.api import error_body

    return JsonResponse(error_body(code, message), status=status,
                        json_dumps_params={"ensure_ascii": False})


def handler400(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if not _is_api(request):
        return defaults.bad_request(request, exception)
    if isinstance(exception, RequestDataTooBig | TooManyFieldsSent | TooManyFilesSent):
        return _api_error("payload_too_large", "请求内容过大。", 413)
    return _api_error("bad_request", "请求无效。", 400)


def handler403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if not _is_api(request):
        return defaults.permission_denied(request, exception)
    return _api_error("permission_denied", "没有执行此操作的权限。", 403)


def handler404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if not _is_api(request):
        return defaults.page_not_found(request, exception)
    return _api_error("not_found", "对象不存在。", 404)


def handler500(request: HttpRequest) -> HttpResponse:
    if not _is_api(request):
        return defaults.server_error(request)
    return _api_error("server_error", "服务器内部错误，请稍后重试。", 500)
