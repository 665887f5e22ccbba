"""Password expiry (PASSWORD_MAX_AGE_DAYS) and the idle session timeout (SESSION_COOKIE_AGE)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from civicgrid.accounts.models import User
from tests.accounts.conftest import PASSWORD, login_client, post_login

pytestmark = pytest.mark.django_db


def _age_password(user: User, days: int) -> None:
    User.objects.filter(pk=user.pk).update(password_changed_at=timezone.now() - timedelta(days=days))


def test_fresh_users_are_not_expired(people) -> None:  # type: ignore[no-untyped-def]
    assert login_client(people["t_grid"]).get(reverse("home")).status_code == 200


def test_an_old_password_sends_every_page_to_the_change_page(people, settings) -> None:  # type: ignore[no-untyped-def]
    settings.PASSWORD_MAX_AGE_DAYS = 90
    _age_password(people["t_grid"], 91)
    client = login_client(people["t_grid"])
    response = client.get(reverse("areas:list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("password_change"))
    assert "next=" in response["Location"]
    page = client.get(reverse("password_change"))
    assert page.status_code == 200 and 'data-testid="password-expired"' in page.content.decode()
    # the API answers on its own terms, logout still works
    assert client.get("/api/v1/areas/").status_code == 200
    assert client.post(reverse("logout")).status_code == 302


def test_changing_the_password_lifts_the_redirect(people, settings) -> None:  # type: ignore[no-untyped-def]
    settings.PASSWORD_MAX_AGE_DAYS = 90
    _age_password(people["t_grid"], 200)
    client = login_client(people["t_grid"])
    response = client.post(reverse("password_change") + "?next=/areas/", {
        "old_password": PASSWORD, "new_password1": "Renewed#2025x", "new_password2": "Renewed#2025x",
        "next": "/areas/",
    })
    assert response.status_code == 302 and response["Location"] == "/areas/"
    assert client.get(reverse("home")).status_code == 200


def test_just_under_the_limit_is_fine_and_zero_means_never(people, settings) -> None:  # type: ignore[no-untyped-def]
    settings.PASSWORD_MAX_AGE_DAYS = 90
    _age_password(people["t_grid"], 89)
    assert login_client(people["t_grid"]).get(reverse("home")).status_code == 200
    settings.PASSWORD_MAX_AGE_DAYS = 0
    _age_password(people["t_grid"], 5000)
    assert login_client(people["t_grid"]).get(reverse("home")).status_code == 200


# --- idle timeout ---------------------------------------------------------------------------


def _session(client: Client) -> Session:
    return Session.objects.get(session_key=client.session.session_key)


def test_idle_session_is_logged_out(people, settings) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    assert post_login(client, "t_grid", PASSWORD).status_code == 302
    assert client.get(reverse("home")).status_code == 200
    # nobody touched the session for longer than the idle limit
    Session.objects.filter(pk=_session(client).pk).update(
        expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_activity_extends_the_session(people, settings) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    post_login(client, "t_grid", PASSWORD)
    key = client.session.session_key
    almost = timezone.now() + timedelta(minutes=2)
    Session.objects.filter(pk=key).update(expire_date=almost)
    assert client.get(reverse("home")).status_code == 200
    renewed = Session.objects.get(pk=key).expire_date
    idle = timedelta(seconds=settings.SESSION_COOKIE_AGE)
    assert renewed > almost + timedelta(minutes=5)
    assert abs(renewed - (timezone.now() + idle)) < timedelta(minutes=1)
    assert settings.SESSION_COOKIE_AGE == settings.SESSION_IDLE_MINUTES * 60
