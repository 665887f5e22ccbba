"""Optional TOTP second factor: enabling it, and the second login step (no mocks: real codes)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from civicgrid.accounts import services
from civicgrid.accounts.models import User
from civicgrid.core.errors import PermissionDenied, ValidationFailed
from civicgrid.core.models import AuditEntry
from tests.accounts.conftest import PASSWORD, Code, login_client, post_login

pytestmark = pytest.mark.django_db


@pytest.fixture
def no_throttle(settings):  # type: ignore[no-untyped-def]
    """django-otp pauses after a wrong code; tests that follow a wrong code with a right one
    at once turn the pause off (test_wrong_codes_are_throttled keeps it on)."""
    settings.OTP_TOTP_THROTTLE_FACTOR = 0


def _enable(user: User) -> Code:
    device = services.start_totp(actor=user, user=user)
    code = Code(device)
    services.confirm_totp(actor=user, user=user, token=code.now())
    return code


def test_enable_page_shows_a_qr_code_and_confirms_with_a_code(people, no_throttle) -> None:  # type: ignore[no-untyped-def]
    user = people["t_grid"]
    client = login_client(user)
    page = client.get(reverse("otp_setup"))
    body = page.content.decode()
    assert page.status_code == 200
    assert "<svg" in body and 'data-testid="otp-qr"' in body
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    assert "otpauth://totp/" in body and device.config_url.split("secret=")[1][:16] in body
    wrong = client.post(reverse("otp_setup"), {"token": "000000"})
    assert wrong.status_code == 200 and not TOTPDevice.objects.filter(confirmed=True).exists()
    response = client.post(reverse("otp_setup"), {"token": Code(device).now()})
    assert response.status_code == 302
    assert TOTPDevice.objects.get(user=user).confirmed
    assert AuditEntry.objects.filter(action="otp.enable", target="user:t_grid").exists()
    # the session that enabled it has proved the factor: no second step now
    assert client.get(reverse("home")).status_code == 200


def test_login_asks_for_the_code_before_anything_else(people, no_throttle) -> None:  # type: ignore[no-untyped-def]
    code = _enable(people["t_grid"])
    client = Client()
    response = post_login(client, "t_grid", PASSWORD)
    assert response.status_code == 302 and response["Location"].startswith(reverse("otp_verify"))
    for url in (reverse("home"), reverse("areas:list"), reverse("password_change")):
        blocked = client.get(url)
        assert blocked.status_code == 302 and blocked["Location"].startswith(reverse("otp_verify"))
    # a half-logged-in session gets nothing from the API either
    api = client.get("/api/v1/areas/")
    assert api.status_code == 403 and api.json()["code"] == "otp_required"
    assert client.get(reverse("otp_verify")).status_code == 200
    bad = client.post(reverse("otp_verify"), {"token": "123456", "next": "/areas/"})
    assert bad.status_code == 200 and 'data-testid="otp-error"' in bad.content.decode()
    good = client.post(reverse("otp_verify"), {"token": code.now(), "next": "/areas/"})
    assert good.status_code == 302 and good["Location"] == "/areas/"
    assert client.get(reverse("home")).status_code == 200
    assert AuditEntry.objects.filter(action="auth.otp_failed", target="user:t_grid").exists()
    assert AuditEntry.objects.filter(action="auth.otp_verified", target="user:t_grid").exists()


def test_wrong_codes_are_throttled(people) -> None:  # type: ignore[no-untyped-def]
    code = _enable(people["t_grid"])
    client = Client()
    post_login(client, "t_grid", PASSWORD)
    client.post(reverse("otp_verify"), {"token": "000000"})
    right_too_soon = client.post(reverse("otp_verify"), {"token": code.now()})
    assert right_too_soon.status_code == 200
    assert "尝试过于频繁" in right_too_soon.content.decode()


def test_a_code_cannot_be_used_twice(people) -> None:  # type: ignore[no-untyped-def]
    code = _enable(people["t_grid"])
    token = code.now()
    first, second = Client(), Client()
    post_login(first, "t_grid", PASSWORD)
    post_login(second, "t_grid", PASSWORD)
    assert first.post(reverse("otp_verify"), {"token": token}).status_code == 302
    assert second.post(reverse("otp_verify"), {"token": token}).status_code == 200


def test_logout_is_reachable_during_the_second_step(people) -> None:  # type: ignore[no-untyped-def]
    _enable(people["t_grid"])
    client = Client()
    post_login(client, "t_grid", PASSWORD)
    assert client.post(reverse("logout")).status_code == 302
    assert "_auth_user_id" not in client.session


def test_users_without_a_device_log_in_with_the_password_only(people) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    response = post_login(client, "t_plain", PASSWORD)
    assert response.status_code == 302 and not response["Location"].startswith(reverse("otp_verify"))
    assert client.get(reverse("home")).status_code == 200


def test_token_endpoint_requires_the_code(people, no_throttle) -> None:  # type: ignore[no-untyped-def]
    code = _enable(people["t_grid"])
    url = reverse("api-token")
    missing = Client().post(url, {"username": "t_grid", "password": PASSWORD})
    assert missing.status_code == 403 and missing.json()["code"] == "otp_required"
    wrong = Client().post(url, {"username": "t_grid", "password": PASSWORD, "otp": "000000"})
    assert wrong.status_code == 403 and wrong.json()["code"] == "otp_invalid"
    good = Client().post(url, {"username": "t_grid", "password": PASSWORD, "otp": code.now()})
    assert good.status_code == 200 and good.json()["token"]


def test_confirm_rejects_a_wrong_code_and_others_cannot_enable_for_you(people) -> None:  # type: ignore[no-untyped-def]
    user = people["t_grid"]
    services.start_totp(actor=user, user=user)
    with pytest.raises(ValidationFailed):
        services.confirm_totp(actor=user, user=user, token="000000")
    with pytest.raises(PermissionDenied):
        services.start_totp(actor=people["t_sys"], user=user)


def test_disable_needs_a_current_code_and_is_audited(people, no_throttle) -> None:  # type: ignore[no-untyped-def]
    user = people["t_grid"]
    code = _enable(user)
    client = login_client(user)
    client.post(reverse("otp_verify"), {"token": code.now()})
    refused = client.post(reverse("otp_disable"), {"token": "000000"})
    assert refused.status_code == 400 and TOTPDevice.objects.filter(user=user).exists()
    done = client.post(reverse("otp_disable"), {"token": code.now()})
    assert done.status_code == 302 and not TOTPDevice.objects.filter(user=user).exists()
    assert AuditEntry.objects.filter(action="otp.disable", actor_name="t_grid").exists()


def test_system_admin_resets_a_lost_phone_others_cannot(people) -> None:  # type: ignore[no-untyped-def]
    _enable(people["t_grid"])
    with pytest.raises(PermissionDenied):
        services.disable_totp(actor=people["t_sec"], user=people["t_grid"])
    assert services.disable_totp(actor=people["t_sys"], user=people["t_grid"]) == 1
    entry = AuditEntry.objects.filter(action="otp.disable").latest("seq")
    assert entry.actor_name == "t_sys" and entry.target == "user:t_grid"
