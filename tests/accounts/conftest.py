"""A small named cast for the auth tests, made through the services (as an installer would).

Names start with ``t_`` so they never meet the demo city's users.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from civicgrid.accounts import services
from civicgrid.accounts.models import User

PASSWORD = "Grid#Walk2024"
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"

# username, display name, role (None: no role at all)
CAST_ROLES: dict[str, tuple[str, str | None]] = {
    "t_sys": ("系统管理员小周", "sysadmin"),
    "t_sec": ("安全管理员小吴", "secadmin"),
    "t_aud": ("审计管理员小郑", "auditor"),
    "t_grid": ("网格员小王", "grid_member"),
    "t_plain": ("无角色用户", None),
}


@pytest.fixture(autouse=True)
def fast_hashers(settings):  # type: ignore[no-untyped-def]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def people(db) -> dict[str, User]:  # type: ignore[no-untyped-def]
    services.seed_roles()
    users: dict[str, User] = {}
    for username, (name, role) in CAST_ROLES.items():
        user = services.create_user(actor=None, username=username, password=PASSWORD,
                                    display_name=name, must_change_password=False)
        if role:
            services.grant_role(actor=None, user=user, role_code=role)
        users[username] = user
    return users


def login_client(user: User) -> Client:
    """A client logged in without the login form (no lockout counting, no second step)."""
    client = Client()
    client.force_login(user, backend=MODEL_BACKEND)
    return client


def post_login(client: Client, username: str, password: str, **extra):  # type: ignore[no-untyped-def]
    return client.post(reverse("login"), {"username": username, "password": password}, **extra)


@dataclass
class Code:
    device: TOTPDevice

    def now(self) -> str:
        """The code an authenticator app shows now; the next step's if now's was just used."""
        device = TOTPDevice.objects.get(pk=self.device.pk)
        t = int(time.time() - device.t0) // device.step
        drift = device.drift + (1 if device.last_t >= t + device.drift else 0)
        return f"{totp(device.bin_key, device.step, device.t0, device.digits, drift):06d}"
