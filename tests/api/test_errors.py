"""One error format for all of /api/v1/: {"code", "message", "fields"}, whatever went wrong."""

from __future__ import annotations

import json
import logging

import pytest
from django.core.cache import cache
from django.test import Client, RequestFactory
from rest_framework.authtoken.models import Token
from rest_framework.test import APIRequestFactory

from civicgrid.core import views
from civicgrid.core.api import exception_handler
from civicgrid.core.api_limits import parse_rate

CASES = "/api/v1/cases/"


@pytest.fixture
def api(cast) -> Client:  # type: ignore[no-untyped-def]
    token, _ = Token.objects.get_or_create(user=cast["center"])
    return Client(HTTP_AUTHORIZATION=f"Token {token.key}")


def assert_error(response, status: int, code: str) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    body = json.loads(response.content)
    assert set(body) == {"code", "message", "fields"}, body
    assert body["code"] == code and body["message"]
    return body


def test_unknown_api_path_is_404_in_our_format(api) -> None:  # type: ignore[no-untyped-def]
    assert_error(api.get("/api/v1/no-such-thing/"), 404, "not_found")
    assert_error(Client().get("/api/v2/"), 404, "not_found")


def test_pages_keep_their_html_404(cast) -> None:  # type: ignore[no-untyped-def]
    from tests.accounts.conftest import login_client

    response = login_client(cast["center"]).get("/cases/no-such-page/")
    assert response.status_code == 404 and not response["Content-Type"].startswith("application/json")


def test_missing_case_and_wrong_method(api) -> None:  # type: ignore[no-untyped-def]
    assert_error(api.get(f"{CASES}999999999/"), 404, "case_not_found")
    assert_error(api.put(CASES, "{}", content_type="application/json"), 405, "method_not_allowed")


def test_unsupported_media_type_and_bad_json(api) -> None:  # type: ignore[no-untyped-def]
    assert_error(api.post(CASES, "<xml/>", content_type="application/xml"), 415,
                 "unsupported_media_type")
    assert_error(api.post(CASES, "{not json", content_type="application/json"), 400, "parse_error")
    assert_error(api.post(CASES, b"\xff\xfe{", content_type="application/json"), 400, "parse_error")


def test_validation_errors_name_the_fields(api) -> None:  # type: ignore[no-untyped-def]
    body = assert_error(api.post(CASES, {}, content_type="application/json"), 400,
                        "validation_failed")
    assert body["fields"]


def test_a_body_over_the_limit_is_413(api, settings) -> None:  # type: ignore[no-untyped-def]
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    big = json.dumps({"title": "x", "description": "长" * 2000})
    assert_error(api.post(CASES, big, content_type="application/json"), 413, "payload_too_large")
    form = {"title": "x", "description": "y" * 5000}
    assert_error(api.post(CASES, form), 413, "payload_too_large")  # multipart, fields too big


def test_page_size_is_capped(api) -> None:  # type: ignore[no-untyped-def]
    response = api.get(CASES, {"page_size": 100000})
    assert response.status_code == 200
    assert_error(api.get(CASES, {"page": 99999}), 404, "not_found")


def test_no_token_is_401_with_a_challenge(db) -> None:  # type: ignore[no-untyped-def]
    response = Client().get(CASES)
    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == "Token"
    assert_error(Client(HTTP_AUTHORIZATION="Token nope").get(CASES), 401, "authentication_failed")


def test_too_many_requests_is_429_with_retry_after(api, cast, settings) -> None:  # type: ignore[no-untyped-def]
    cache.clear()
    settings.API_THROTTLE_RATES = {"user": "3/min", "anon": "-"}
    statuses = [api.get(CASES).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = api.get(CASES)
    body = assert_error(response, 429, "throttled")
    assert int(response["Retry-After"]) >= 1 and body["fields"]["retry_after"] >= 1
    cache.clear()


def test_anonymous_requests_are_counted_per_address(settings) -> None:  # type: ignore[no-untyped-def]
    # no /api/v1/ view lets anonymous callers past authentication yet (the token view is
    # DRF's, unthrottled, and axes locks accounts): the throttle itself, on real requests
    from rest_framework.request import Request

    from civicgrid.core.api_limits import RateThrottle

    cache.clear()
    settings.API_THROTTLE_RATES = {"user": "-", "anon": "2/min"}
    factory = APIRequestFactory()

    def allowed(address: str) -> bool:
        request = Request(factory.get(CASES, REMOTE_ADDR=address))
        request.user = None
        return RateThrottle().allow_request(request, None)

    assert [allowed("10.0.0.1") for _ in range(3)] == [True, True, False]
    assert allowed("10.0.0.2")
    cache.clear()


def test_rates_parse() -> None:
    assert parse_rate("600/min") == (600, 60) and parse_rate("5/s") == (5, 1)
    assert parse_rate("-") is None and parse_rate("") is None


def test_an_unexpected_exception_is_a_logged_500_in_our_format(caplog) -> None:  # type: ignore[no-untyped-def]
    request = APIRequestFactory().get(CASES)
    with caplog.at_level(logging.ERROR, logger="civicgrid.api"):
        response = exception_handler(ZeroDivisionError("boom"), {"request": request, "view": None})
    assert response is not None and response.status_code == 500
    assert response.data == {"code": "server_error", "message": "服务器内部错误，请稍后重试。",
                             "fields": {}}
    assert "ZeroDivisionError" in caplog.text


def test_django_level_handlers_answer_json_under_api() -> None:
    factory = RequestFactory()
    assert_error(views.handler500(factory.get("/api/v1/cases/")), 500, "server_error")
    assert_error(views.handler400(factory.get("/api/v1/x/")), 400, "bad_request")
    assert_error(views.handler403(factory.get("/api/v1/x/")), 403, "permission_denied")
    from django.core.exceptions import RequestDataTooBig

    assert_error(views.handler400(factory.post("/api/v1/x/"), RequestDataTooBig()), 413,
                 "payload_too_large")
