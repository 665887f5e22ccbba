"""X-Forwarded-For/-Proto are believed from the configured proxy only (core/proxy.py)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory

from civicgrid.core.proxy import TrustedProxyMiddleware


def _seen(settings, proxy: str, remote: str, **headers: str) -> HttpRequest:  # type: ignore[no-untyped-def]
    settings.CIVICGRID_TRUSTED_PROXY = proxy
    seen: list[HttpRequest] = []

    def view(request: HttpRequest) -> HttpResponse:
        seen.append(request)
        return HttpResponse("ok")

    request = RequestFactory().get("/", REMOTE_ADDR=remote, **headers)
    TrustedProxyMiddleware(view)(request)
    return seen[0]


def test_from_the_trusted_proxy_the_client_and_scheme_come_from_its_headers(settings) -> None:  # type: ignore[no-untyped-def]
    request = _seen(settings, "10.0.0.2", "10.0.0.2", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.9",
                    HTTP_X_FORWARDED_PROTO="https")
    assert request.META["REMOTE_ADDR"] == "203.0.113.9"  # the entry nginx appended
    assert request.scheme == "https" and request.is_secure()
    assert "HTTP_X_FORWARDED_FOR" not in request.META


def test_from_anyone_else_the_headers_are_dropped(settings) -> None:  # type: ignore[no-untyped-def]
    request = _seen(settings, "10.0.0.2", "198.51.100.7", HTTP_X_FORWARDED_FOR="1.2.3.4",
                    HTTP_X_FORWARDED_PROTO="https")
    assert request.META["REMOTE_ADDR"] == "198.51.100.7"
    assert request.scheme == "http"
    assert "HTTP_X_FORWARDED_FOR" not in request.META and "HTTP_X_FORWARDED_PROTO" not in request.META


def test_without_a_proxy_nothing_is_believed(settings) -> None:  # type: ignore[no-untyped-def]
    request = _seen(settings, "", "127.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4", HTTP_X_FORWARDED_PROTO="https")
    assert request.META["REMOTE_ADDR"] == "127.0.0.1" and request.scheme == "http"


def test_a_bad_scheme_is_ignored(settings) -> None:  # type: ignore[no-untyped-def]
    request = _seen(settings, "10.0.0.2", "10.0.0.2", HTTP_X_FORWARDED_PROTO="gopher")
    assert request.scheme == "http" and request.META["REMOTE_ADDR"] == "10.0.0.2"
