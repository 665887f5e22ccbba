"""Shared API plumbing: one error format for all of /api/v1/, limits and throttling.

Every answer that is not a success has the body ``{"code", "message", "fields"}``: domain
errors, DRF's own errors (400/401/403/404/405/406/415/429), bodies that are too large (413)
and, as a last resort, any unexpected exception (500, logged). Paths under /api/ that no
view handles answer in the same format through ``core.views`` (handler404/400/403/500).
"""

from __future__ import annotations

import logging
from typing import Any

from django.core import signals
from django.core.exceptions import (
    PermissionDenied as DjangoPermissionDenied,
)
from django.core.exceptions import (
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from civicgrid.core.errors import DomainError, PayloadTooLarge, ValidationFailed

logger = logging.getLogger("civicgrid.api")


_DRF_CODES: dict[type[exceptions.APIException], tuple[str, str]] = {
    exceptions.NotAuthenticated: ("not_authenticated", "未登录或令牌无效。"),
    exceptions.AuthenticationFailed: ("authentication_failed", "认证失败：用户名、密码或令牌不正确。"),
    exceptions.PermissionDenied: ("permission_denied", "没有执行此操作的权限。"),
    exceptions.NotFound: ("not_found", "对象不存在。"),
    exceptions.MethodNotAllowed: ("method_not_allowed", "不支持该请求方法。"),
    exceptions.NotAcceptable: ("not_acceptable", "无法按要求的格式返回。"),
    exceptions.UnsupportedMediaType: ("unsupported_media_type", "不支持的请求内容类型。"),
    exceptions.Throttled: ("throttled", "请求过于频繁，请稍后再试。"),
    exceptions.ParseError: ("parse_error", "请求内容无法解析。"),
    exceptions.ValidationError: ("validation_failed", "提交的数据有误。"),
}


def error_body(code: str, message: str, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"code": code, "message": message, "fields": fields or {}}


def _as_api_exception(exc: Exception) -> Exception:
    if isinstance(exc, Http404):
        return exceptions.NotFound()
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied()
    if isinstance(exc, RequestDataTooBig | TooManyFieldsSent | TooManyFilesSent):
        return PayloadTooLarge()
    if isinstance(exc, SuspiciousOperation):
        return exceptions.ParseError()
    if isinstance(exc, UnicodeError):  # undecodable bytes in a query string or form field
        return exceptions.ParseError()
    return exc


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    exc = _as_api_exception(exc)
    if isinstance(exc, DomainError):
        set_rollback()
        return Response(error_body(exc.code, exc.message, exc.fields), status=exc.status)
    response = drf_exception_handler(exc, context)
    if response is None:
        return server_error(exc, context)
    code, message = "error", "请求失败。"
    for klass, (klass_code, klass_message) in _DRF_CODES.items():
        if isinstance(exc, klass):
            code, message = klass_code, klass_message
            break
    fields: dict[str, Any] = {}
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail
        fields = detail if isinstance(detail, dict) else {"non_field_errors": detail}
    elif isinstance(exc, exceptions.Throttled) and exc.wait is not None:
        fields = {"retry_after": int(exc.wait + 0.999)}
    response.data = error_body(code, message, fields)
    if response.status_code == status.HTTP_401_UNAUTHORIZED and "WWW-Authenticate" not in response:
        response["WWW-Authenticate"] = "Token"
    return response


def server_error(exc: Exception, context: dict[str, Any]) -> Response:
    """The last resort: log the error with its traceback and answer 500 in our format."""
    request = context.get("request")
    django_request = getattr(request, "_request", request)
    logger.error("unhandled API error on %s %s", getattr(request, "method", "?"),
                 getattr(request, "path", "?"), exc_info=exc)
    set_rollback()
    # as Django does for a view that raises: error reporting (and the test client) hear of it
    signals.got_request_exception.send(sender=None, request=django_request)
    return Response(error_body("server_error", "服务器内部错误，请稍后重试。"),
                    status=status.HTTP_500_INTERNAL_SERVER_ERROR)


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500


# --- the schema: every /api/v1/ operation documents the error answers it can give --------

ERROR_COMPONENT = {
    "type": "object",
    "properties": {
        "code": {"type": "string", "description": "稳定的错误码"},
        "message": {"type": "string", "description": "中文说明"},
        "fields": {"type": "object", "additionalProperties": {}, "description": "出错的字段"},
    },
    "required": ["code", "message", "fields"],
}
_ERRORS_ALWAYS = {
    "400": "输入有误（validation_failed / parse_error，fields 指出字段）",
    "401": "未登录或令牌无效（not_authenticated / authentication_failed）",
    "403": "无权执行（permission_denied 等）",
    "404": "对象不存在或不在您的范围内，或页码超出范围（not_found 等）",
    "406": "无法按 Accept 要求的格式返回（not_acceptable）",
    "429": "请求过于频繁（throttled，fields.retry_after 为秒数）",
}
_ERRORS_WITH_BODY = {
    "409": "状态冲突或重复提交（illegal_transition / stale_version / idempotency_key_reused 等）",
    "413": "请求体过大（payload_too_large）",
    "415": "不支持的请求内容类型（unsupported_media_type）",
}


def document_error_responses(result: dict[str, Any], generator: Any, request: Any,
                             public: bool) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: add the shared error answers where missing."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("Error", ERROR_COMPONENT)
    ref = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path, item in result.get("paths", {}).items():
        if not path.startswith("/api/"):
            continue
        for method, operation in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            responses = operation.setdefault("responses", {})
            wanted = dict(_ERRORS_ALWAYS)
            if method != "get":
                wanted.update(_ERRORS_WITH_BODY)
            for status_code, description in wanted.items():
                responses.setdefault(status_code, {"description": description, "content": ref})
    return result


# --- optimistic locking: the version a client saw (body ``version`` or If-Match) -----------

IF_MATCH = OpenApiParameter("If-Match", OpenApiTypes.STR, OpenApiParameter.HEADER,
                            description="期望的版本号（详情响应的 ETag）；与 body 中 version 同义")


def expected_version(request: Request, body_version: int | None) -> int | None:
    """The version a client expects (optimistic locking): the body's, else If-Match."""
    if body_version is not None:
        return body_version
    raw = request.headers.get("If-Match", "").strip()
    if not raw or raw == "*":
        return None
    raw = raw.removeprefix("W/").strip('"')
    if not raw.isdigit():
        raise ValidationFailed("If-Match 应为版本号。", code="invalid_if_match", fields={"If-Match": [raw]})
    return int(raw)
