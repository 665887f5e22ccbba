"""Password expiry (PASSWORD_MAX_AGE_DAYS) and the idle session timeout (SESSION_COOKIE_AGE)."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from civicgrid.accounts.middleware import RENEWED
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


def _idle_for(client: Client, minutes: int) -> None:
    """As if the session's last renewal was ``minutes`` ago (and it expires accordingly)."""
    session = client.session
    session[RENEWED] = int(time.time()) - minutes * 60
    session.save()
    Session.objects.filter(pk=session.session_key).update(
        expire_date=timezone.now() + timedelta(minutes=SESSION_MINUTES - minutes))


SESSION_MINUTES = 30


def test_activity_extends_the_session(people, settings) -> None:  # type: ignore[no-untyped-def]
    settings.SESSION_COOKIE_AGE = SESSION_MINUTES * 60
    client = Client()
    post_login(client, "t_grid", PASSWORD)
    key = client.session.session_key
    _idle_for(client, 28)
    almost = Session.objects.get(pk=key).expire_date
    assert client.get(reverse("home")).status_code == 200
    renewed = Session.objects.get(pk=key).expire_date
    idle = timedelta(seconds=settings.SESSION_COOKIE_AGE)
    assert renewed > almost + timedelta(minutes=5)
    assert abs(renewed - (timezone.now() + idle)) < timedelta(minutes=1)


def test_the_config_makes_the_idle_limit_the_session_age(settings) -> None:  # type: ignore[no-untyped-def]
    assert settings.SESSION_COOKIE_AGE == settings.SESSION_IDLE_MINUTES * 60
    assert not getattr(settings, "SESSION_SAVE_EVERY_REQUEST", False)


def test_requests_within_a_minute_do_not_write_the_session(people, settings) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    post_login(client, "t_grid", PASSWORD)
    assert client.get(reverse("home")).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("home")).status_code == 200
        assert client.get("/api/v1/stats/summary/").status_code in (200, 403)
    writes = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("UPDATE") and "django_session" in q["sql"]]
    assert writes == []
    _idle_for(client, 1)  # a minute later the next request renews it
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("home")).status_code == 200
    assert any("django_session" in q["sql"] for q in queries.captured_queries if q["sql"].startswith("UPDATE"))
