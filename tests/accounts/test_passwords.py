"""Password policy (等保 2.0): length, character classes, common passwords, no reuse of the last 5."""

from __future__ import annotations

import pytest
from django.urls import reverse

from civicgrid.accounts import services
from civicgrid.accounts.models import PasswordHistory, User
from civicgrid.core.errors import ValidationFailed
from civicgrid.core.models import AuditEntry
from tests.accounts.conftest import PASSWORD, login_client

pytestmark = pytest.mark.django_db


def _rejected(user: User, password: str) -> list[str]:
    with pytest.raises(ValidationFailed) as info:
        services.set_password(actor=user, user=user, password=password)
    assert info.value.code == "weak_password"
    return info.value.fields["password"]


def test_too_short_is_rejected(people) -> None:  # type: ignore[no-untyped-def]
    messages = _rejected(people["t_grid"], "Ab#1xyz")  # 7 characters, 4 classes
    assert any("8" in m for m in messages)


def test_too_few_character_classes_is_rejected(people) -> None:  # type: ignore[no-untyped-def]
    messages = _rejected(people["t_grid"], "abcdefghijk1")  # lowercase + digits only
    assert any("3 类" in m for m in messages)


def test_common_password_is_rejected(people) -> None:  # type: ignore[no-untyped-def]
    _rejected(people["t_grid"], "Password1")


def test_good_password_is_stored_and_old_hash_kept(people) -> None:  # type: ignore[no-untyped-def]
    user = people["t_grid"]
    old_hash = user.password
    services.set_password(actor=user, user=user, password="Fresh#Start99")
    user.refresh_from_db()
    assert user.check_password("Fresh#Start99")
    assert PasswordHistory.objects.filter(user=user, password=old_hash).exists()
    assert AuditEntry.objects.filter(action="user.password_set", target="user:t_grid").exists()


def test_last_five_passwords_cannot_be_reused_the_sixth_can(people) -> None:  # type: ignore[no-untyped-def]
    user = people["t_grid"]
    others = ["Second#Pass2", "Third#Pass3x", "Fourth#Pass4", "Fifth#Pass5x"]
    for pw in others:
        services.set_password(actor=user, user=user, password=pw)
    # current + 4 previous = the last five: PASSWORD is the oldest of them
    _rejected(user, PASSWORD)
    _rejected(user, "Fifth#Pass5x")  # the current one
    services.set_password(actor=user, user=user, password="Sixth#Pass6x")
    # now PASSWORD is six passwords back and may come again
    services.set_password(actor=user, user=user, password=PASSWORD)
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_change_password_page_requires_the_current_password(people) -> None:  # type: ignore[no-untyped-def]
    client = login_client(people["t_grid"])
    response = client.post(reverse("password_change"), {
        "old_password": "wrong", "new_password1": "Brand#New2024", "new_password2": "Brand#New2024",
    })
    assert response.status_code == 200
    assert "当前密码不正确" in response.content.decode()
    people["t_grid"].refresh_from_db()
    assert people["t_grid"].check_password(PASSWORD)


def test_change_password_page_shows_policy_errors(people) -> None:  # type: ignore[no-untyped-def]
    client = login_client(people["t_grid"])
    response = client.post(reverse("password_change"), {
        "old_password": PASSWORD, "new_password1": "simple", "new_password2": "simple",
    })
    body = response.content.decode()
    assert response.status_code == 200 and 'data-testid="error-new_password1"' in body


def test_change_password_page_changes_and_keeps_the_session(people) -> None:  # type: ignore[no-untyped-def]
    client = login_client(people["t_grid"])
    assert client.get(reverse("password_change")).status_code == 200
    response = client.post(reverse("password_change"), {
        "old_password": PASSWORD, "new_password1": "Brand#New2024", "new_password2": "Brand#New2024",
    })
    assert response.status_code == 302
    people["t_grid"].refresh_from_db()
    assert people["t_grid"].check_password("Brand#New2024")
    assert client.get(reverse("home")).status_code == 200  # still logged in
