"""The GeoReport v2 endpoints (thin: parse, call a selector or service, render).

GET needs no api_key (public services, public cases, no personal data: ADR 0006); POST
needs one. Errors are GeoReport ``errors`` bodies with the spec's status codes.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from civicgrid.areas.models import Area
from civicgrid.core.errors import DomainError, ValidationFailed
from civicgrid.open311 import keys, selectors, services
from civicgrid.open311.render import error, respond

SPEC_URL = "http://wiki.open311.org/GeoReport_v2"


def _jurisdiction_error(request: HttpRequest, fmt: str) -> HttpResponse | None:
    value = (request.GET.get("jurisdiction_id") or request.POST.get("jurisdiction_id") or "").strip()
    if value and not Area.objects.filter(code=value).exists():
        return error(fmt, 404, _("jurisdiction_id %(id)s 不存在。") % {"id": value[:32]})
    return None


@login_not_required
@require_GET
def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    url = request.build_absolute_uri("/open311/v2/")
    return respond(fmt, "discovery", {
        "changeset": "2026-01-01T00:00:00+08:00",
        "contact": _("请联系本级综治中心系统管理员申请 api_key。"),
        "key_service": _("api_key 由系统管理员在管理后台签发（civicgrid open311-key）。"),
        "endpoints": [{
            "specification": SPEC_URL, "url": url, "changeset": "2026-01-01T00:00:00+08:00",
            "type": "production", "formats": ["text/xml", "application/json"],
        }],
    })


@login_not_required
@require_GET
def services_list(request: HttpRequest, fmt: str) -> HttpResponse:
    if (bad := _jurisdiction_error(request, fmt)) is not None:
        return bad
    items = [{
        "service_code": c.code, "service_name": c.name,
        "description": f"{c.parent.name if c.parent else ''}：{c.name}",
        "metadata": True, "type": "realtime", "keywords": selectors.service_keywords(c),
        "group": c.parent.name if c.parent else "",
    } for c in selectors.public_services()]
    return respond(fmt, "services", items)


@login_not_required
@require_GET
def service_definition(request: HttpRequest, service_code: str, fmt: str) -> HttpResponse:
    if (bad := _jurisdiction_error(request, fmt)) is not None:
        return bad
    category = selectors.public_service(service_code)
    if category is None:
        return error(fmt, 404, _("service_code %(code)s 不存在。") % {"code": service_code[:32]})
    attributes = [{
        "variable": a.variable, "code": a.code, "datatype": a.datatype, "required": a.required,
        "datatype_description": a.datatype_description, "order": a.order,
        "description": a.description,
        "values": [{"key": key, "name": name} for key, name in a.values],
    } for a in selectors.service_attributes(category)]
    return respond(fmt, "service_definition",
                   {"service_code": category.code, "attributes": attributes})


def _when(raw: str, name: str, *, end: bool) -> datetime | None:
    raw = raw.strip()
    if not raw:
        return None
    try:
        value = parse_datetime(raw.replace(" ", "+") if "T" in raw else raw)
        if value is None and (day := parse_date(raw)) is not None:
            value = datetime.combine(day, time.max if end else time.min)
    except ValueError:
        value = None
    if value is None:
        raise ValidationFailed(_("%(name)s 须为 ISO 8601 时间，例如 2026-01-06T08:00:00+08:00。")
                               % {"name": name})
    return timezone.make_aware(value) if timezone.is_naive(value) else value


def _window(request: HttpRequest) -> tuple[datetime, datetime]:
    start = _when(request.GET.get("start_date", ""), "start_date", end=False)
    end = _when(request.GET.get("end_date", ""), "end_date", end=True)
    span = timedelta(days=selectors.DEFAULT_WINDOW_DAYS)
    if start is None and end is None:
        end = timezone.now()
    if start is None:
        start = end - span  # type: ignore[operator]
    if end is None:
        end = start + span
    if end < start:
        raise ValidationFailed(_("end_date 早于 start_date。"))
    if end - start > span:
        raise ValidationFailed(_("start_date 与 end_date 相隔不能超过 %(days)s 天。")
                               % {"days": selectors.DEFAULT_WINDOW_DAYS})
    return start, end


def _list(raw: str) -> list[str]:
    return [p.strip() for p in raw.split(",") if p.strip()]


def _get_requests(request: HttpRequest, fmt: str) -> HttpResponse:
    if (bad := _jurisdiction_error(request, fmt)) is not None:
        return bad
    ids = _list(request.GET.get("service_request_id", ""))
    if ids:  # the spec: this overrides all other arguments
        return respond(fmt, "service_requests", selectors.request_rows(selectors.requests_by_codes(ids)))
    statuses = [s.lower() for s in _list(request.GET.get("status", ""))]
    if any(s not in ("open", "closed") for s in statuses):
        raise ValidationFailed(_("status 只能是 open 或 closed。"))
    start, end = _window(request)
    cases = selectors.requests_matching(
        start=start, end=end, service_codes=_list(request.GET.get("service_code", "")),
        statuses=statuses, area_prefix=(request.GET.get("jurisdiction_id") or "").strip())
    return respond(fmt, "service_requests", selectors.request_rows(cases))


def _post_request(request: HttpRequest, fmt: str) -> HttpResponse:
    fields = {k: request.POST.get(k, "") for k in request.POST}
    client = keys.client_for_key((fields.get("api_key") or request.GET.get("api_key") or "").strip())
    if client is None:
        return error(fmt, 403, _("api_key 无效或已吊销。"))
    if not keys.take_rate_slot(client):
        return error(fmt, 429, _("请求过于频繁：每分钟最多 %(n)s 次。")
                     % {"n": client.rate_limit_per_minute},
                     headers={"Retry-After": str(keys.seconds_to_next_window())})
    filed = services.submit_request(client=client, fields=fields)
    return respond(fmt, "service_requests", [{
        "service_request_id": filed.case.code,
        "service_notice": _("已受理，请用 service_request_id 查询办理进度。"),
        "account_id": filed.submission.account_id,
    }])


@csrf_exempt
@login_not_required
@require_http_methods(["GET", "POST"])
def requests_view(request: HttpRequest, fmt: str) -> HttpResponse:
    try:
        if request.method == "POST":
            return _post_request(request, fmt)
        return _get_requests(request, fmt)
    except DomainError as exc:
        return error(fmt, exc.status if exc.status in (400, 403, 404, 409) else 400, exc.message)


@login_not_required
@require_GET
def request_detail(request: HttpRequest, service_request_id: str, fmt: str) -> HttpResponse:
    if (bad := _jurisdiction_error(request, fmt)) is not None:
        return bad
    rows = selectors.request_rows(selectors.requests_by_codes([service_request_id[:32]]))
    if not rows:
        return error(fmt, 404, _("service_request_id %(id)s 不存在。") % {"id": service_request_id[:32]})
    return respond(fmt, "service_requests", rows)


@login_not_required
@require_GET
def token_detail(request: HttpRequest, token: str, fmt: str) -> HttpResponse:
    submission = services.submission_for_token(token)
    if submission is None:
        return error(fmt, 404, _("token %(token)s 不存在。") % {"token": token[:32]})
    return respond(fmt, "service_requests",
                   [{"service_request_id": submission.case.code, "token": submission.token}])


