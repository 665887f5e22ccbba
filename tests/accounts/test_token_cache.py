"""API tokens: the token → user lookup is cached per process (accounts/tokens.py), and a
revoked token, a deactivated user or a user whose grants changed is seen at once."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from civicgrid.accounts import services
from civicgrid.accounts.models import User
from civicgrid.core import refcache

pytestmark = pytest.mark.django_db


def _client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def _token_queries(client: APIClient) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/api/v1/areas/", {"page_size": 1}).status_code == 200
    return sum('"authtoken_token"' in q["sql"] for q in ctx.captured_queries)


def test_the_second_request_does_not_look_the_token_up_again(cast) -> None:  # type: ignore[no-untyped-def]
    # a token issued before this request (bulk_create: no signal, so nothing in this test's
    # transaction marks the cache as written by it, see core.refcache)
    Token.objects.filter(user=cast["hotline"]).delete()
    refcache._local.bumped = False
    token = Token.objects.bulk_create([Token(key=Token.generate_key(), user=cast["hotline"])])[0]
    client = _client(token.key)
    assert _token_queries(client) == 1
    assert _token_queries(client) == 0


def test_a_deleted_token_is_refused_at_once(cast) -> None:  # type: ignore[no-untyped-def]
    key = services.issue_api_token(user=cast["hotline"])
    client = _client(key)
    assert client.get("/api/v1/areas/").status_code == 200
    Token.objects.filter(key=key).delete()
    response = client.get("/api/v1/areas/")
    assert response.status_code == 401 and response.json()["code"] == "authentication_failed"
    # a new token for the same user works at once
    assert _client(services.issue_api_token(user=cast["hotline"])).get("/api/v1/areas/").status_code == 200


def test_a_deactivated_user_is_refused_at_once(cast) -> None:  # type: ignore[no-untyped-def]
    client = _client(services.issue_api_token(user=cast["hotline"]))
    assert client.get("/api/v1/areas/").status_code == 200
    user = User.objects.get(pk=cast["hotline"].pk)
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert client.get("/api/v1/areas/").status_code == 401


def test_unknown_keys_are_not_kept(cast) -> None:  # type: ignore[no-untyped-def]
    client = _client("0" * 40)
    for _ in range(3):
        assert client.get("/api/v1/areas/").status_code == 401
    assert refcache._data is None or ("api_token", "0" * 40) not in refcache._data


def test_each_request_gets_its_own_user_object(cast) -> None:  # type: ignore[no-untyped-def]
    from civicgrid.accounts.tokens import CachedTokenAuthentication

    key = services.issue_api_token(user=cast["hotline"])
    first, _t = CachedTokenAuthentication().authenticate_credentials(key)
    first.display_name = "被某个请求改过"
    second, _t = CachedTokenAuthentication().authenticate_credentials(key)
    assert second is not first and second.display_name == cast["hotline"].display_name
