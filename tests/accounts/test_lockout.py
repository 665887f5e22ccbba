"""Lockout after 5 failed logins for 30 minutes (django-axes, per account), page and API."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from civicgrid.accounts import services
from civicgrid.core.errors import PermissionDenied
from civicgrid.core.models import AuditEntry
from tests.accounts.conftest import PASSWORD, login_client, post_login

pytestmark = pytest.mark.django_db


def _fail(client: Client, username: str, times: int) -> list:  # type: ignore[type-arg]
    return [post_login(client, username, "Wrong#Pass000") for _ in range(times)]


def _is_locked_page(response) -> bool:  # type: ignore[no-untyped-def]
    body = response.content.decode()
    return response.status_code in (403, 429) and 'data-testid="locked-out"' in body and "账号已锁定" in body


def test_four_failures_show_the_login_error_and_a_right_password_still_works(people) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    for response in _fail(client, "t_grid", 4):
        assert response.status_code == 200
        assert 'data-testid="login-error"' in response.content.decode()
    response = post_login(client, "t_grid", PASSWORD)
    assert response.status_code == 302 and "_auth_user_id" in client.session
    assert not AccessAttempt.objects.filter(username="t_grid").exists()  # reset on success


def test_fifth_failure_locks_and_the_right_password_is_then_refused(people) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    responses = _fail(client, "t_grid", 5)
    assert not _is_locked_page(responses[3])
    assert _is_locked_page(responses[4])
    assert responses[4].status_code == 429
    sixth = post_login(client, "t_grid", PASSWORD)
    assert _is_locked_page(sixth)
    assert "_auth_user_id" not in client.session
    # from another client (other address, other browser) too: the lock is per account
    other = Client(REMOTE_ADDR="10.9.8.7", HTTP_USER_AGENT="another phone")
    assert _is_locked_page(post_login(other, "t_grid", PASSWORD))
    assert AuditEntry.objects.filter(action="auth.lockout", target="user:t_grid").count() == 1
    refused = AuditEntry.objects.filter(action="auth.login_failed", target="user:t_grid",
                                        data__locked_out=True)
    assert refused.count() == 3  # the locking 5th failure and the two refused attempts


def test_the_lock_ends_after_30_minutes(people) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    _fail(client, "t_grid", 5)
    assert _is_locked_page(post_login(client, "t_grid", PASSWORD))
    AccessAttempt.objects.filter(username="t_grid").update(
        attempt_time=timezone.now() - timedelta(minutes=29))
    assert _is_locked_page(post_login(client, "t_grid", PASSWORD))
    AccessAttempt.objects.filter(username="t_grid").update(
        attempt_time=timezone.now() - timedelta(minutes=31))
    response = post_login(client, "t_grid", PASSWORD)
    assert response.status_code == 302 and "_auth_user_id" in client.session


def test_other_accounts_are_not_affected(people) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    _fail(client, "t_grid", 5)
    response = post_login(client, "t_plain", PASSWORD)
    assert response.status_code == 302


def test_system_admin_unlocks_and_it_is_audited(people) -> None:  # type: ignore[no-untyped-def]
    _fail(Client(), "t_grid", 5)
    cleared = services.unlock_user(actor=people["t_sys"], user=people["t_grid"])
    assert cleared >= 1
    client = Client()
    assert post_login(client, "t_grid", PASSWORD).status_code == 302
    entry = AuditEntry.objects.get(action="user.unlock")
    assert entry.actor_name == "t_sys" and entry.target == "user:t_grid"


@pytest.mark.parametrize("who", ["t_sec", "t_aud", "t_grid"])
def test_only_the_system_admin_may_unlock(people, who: str) -> None:  # type: ignore[no-untyped-def]
    _fail(Client(), "t_plain", 5)
    with pytest.raises(PermissionDenied):
        services.unlock_user(actor=people[who], user=people["t_plain"])
    assert _is_locked_page(post_login(Client(), "t_plain", PASSWORD))


def test_unlock_from_the_admin_user_list(people) -> None:  # type: ignore[no-untyped-def]
    _fail(Client(), "t_grid", 5)
    admin = login_client(people["t_sys"])
    changelist = reverse("admin:accounts_user_changelist")
    page = admin.get(changelist)
    assert page.status_code == 200
    response = admin.post(changelist, {
        "action": "unlock", "_selected_action": [people["t_grid"].pk], "index": 0,
    })
    assert response.status_code == 302
    assert post_login(Client(), "t_grid", PASSWORD).status_code == 302


# --- the API token endpoint -----------------------------------------------------------------


def _token(client: Client, username: str, password: str, **more: str):  # type: ignore[no-untyped-def]
    return client.post(reverse("api-token"), {"username": username, "password": password, **more},
                       content_type="application/json")


def test_token_endpoint_issues_a_token(people) -> None:  # type: ignore[no-untyped-def]
    response = _token(Client(), "t_grid", PASSWORD)
    assert response.status_code == 200 and response.json()["token"]


def test_token_endpoint_locks_after_five_failures_even_for_the_right_password(people) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    for _ in range(4):
        response = _token(client, "t_grid", "Wrong#Pass000")
        assert response.status_code == 400
        assert response.json()["code"] == "validation_failed"
    fifth = _token(client, "t_grid", "Wrong#Pass000")
    assert fifth.status_code == 429
    body = fifth.json()
    assert body["code"] == "account_locked" and body["fields"] == {}
    assert "锁定" in body["message"]
    sixth = _token(client, "t_grid", PASSWORD)
    assert sixth.status_code == 429 and sixth.json()["code"] == "account_locked"
    assert "token" not in sixth.json()
    # and the page login is locked as well: one account, one counter
    assert _is_locked_page(post_login(Client(), "t_grid", PASSWORD))


def test_page_failures_count_for_the_api_too(people) -> None:  # type: ignore[no-untyped-def]
    _fail(Client(), "t_grid", 5)
    response = _token(Client(), "t_grid", PASSWORD)
    assert response.status_code == 429 and response.json()["code"] == "account_locked"
