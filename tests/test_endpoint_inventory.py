"""Every URL needs login except the declared public ones (civicgrid.core.public)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern

from civicgrid.core.public import PUBLIC_URL_NAMES

pytestmark = pytest.mark.django_db

SAMPLE = {"int": "1", "str": "640202", "slug": "demo", "path": "1", "uuid": "00000000-0000-0000-0000-000000000000"}
_ROUTE_PARAM = re.compile(r"<(?:(?P<conv>\w+):)?(?P<name>\w+)>")
_REGEX_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>(?P<body>[^)]*)\)")


def _route_to_path(pattern) -> str:  # type: ignore[no-untyped-def]
    text = str(pattern)
    if isinstance(pattern, RegexPattern):
        def group(match: re.Match[str]) -> str:
            body = match.group("body")
            if match.group("name") == "format":
                return "json"
            if body in (".*", ".+"):
                return "anything"
            if "|" in body or body.isalpha():
                return body.split("|")[0]
            return "1"
        text = _REGEX_GROUP.sub(group, text)
        text = text.lstrip("^").rstrip("$").replace("\\Z", "").replace("/?", "/").replace("\\", "")
        text = re.sub(r"\(\?:[^)]*\)\??", "", text)
        return text
    return _ROUTE_PARAM.sub(lambda m: SAMPLE.get(m.group("conv") or "str", "1"), text)


def _walk(patterns, prefix: str = "", namespace: str = "") -> Iterator[tuple[str, str]]:  # type: ignore[no-untyped-def]
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
            yield from _walk(p.url_patterns, prefix + _route_to_path(p.pattern), ns)
        elif isinstance(p, URLPattern):
            yield "/" + prefix + _route_to_path(p.pattern), f"{namespace}{p.name or ''}"


def _inventory() -> list[tuple[str, str]]:
    seen: dict[str, str] = {}
    for path, name in _walk(get_resolver().url_patterns):
        seen.setdefault(path.replace("//", "/"), name)
    return sorted(seen.items())


def _needs_login(path: str, status: int, location: str) -> bool:
    if path.startswith(("/api/v1/", "/open311/")):
        return status == 401
    if path.startswith("/api/"):  # schema and Swagger UI: pages for logged-in users
        return (status == 302 and "/accounts/login/" in location) or status == 401
    return status == 302 and ("/accounts/login/" in location or "/admin/login/" in location)


def test_inventory_is_not_empty() -> None:
    paths = [p for p, _n in _inventory()]
    assert "/api/v1/areas/" in paths and "/areas/map/" in paths and "/accounts/login/" in paths


@pytest.mark.parametrize(("path", "name"), _inventory())
def test_every_endpoint_needs_login_unless_declared_public(path: str, name: str) -> None:
    response = Client().get(path)
    location = response.get("Location", "")
    if name in PUBLIC_URL_NAMES:
        assert response.status_code not in (401, 403) and not _needs_login(path, response.status_code, location)
    else:
        assert _needs_login(path, response.status_code, location), (
            f"{path} ({name}) answered {response.status_code} {location} without login"
        )
