"""TOTP second factor helpers: which device a user has, the QR code, the session step."""

from __future__ import annotations

import base64

import segno
from django.http import HttpRequest
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from civicgrid.accounts.models import User


def confirmed_device(user: User) -> TOTPDevice | None:
    if not getattr(user, "pk", None):
        return None
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id").first()


def needs_second_step(request: HttpRequest) -> bool:
    """Logged in with a password, holds a confirmed TOTP device, not yet verified this session."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return False
    is_verified = getattr(user, "is_verified", None)
    if is_verified is not None and is_verified():
        return False
    return confirmed_device(user) is not None


def throttled(device: TOTPDevice) -> bool:
    """After a wrong code django-otp refuses every code for a growing pause (1 s, 2 s, 4 s …)."""
    allowed, _detail = device.verify_is_allowed()
    return not allowed


def verify_second_step(request: HttpRequest, token: str) -> bool:
    """Check a 6-digit code against the user's device; on success the session is verified."""
    device = confirmed_device(request.user)  # type: ignore[arg-type]
    if device is None or not device.verify_token(token.strip()):
        return False
    otp_login(request, device)
    return True


def secret_base32(device: TOTPDevice) -> str:
    """The shared secret as typed into an authenticator app by hand."""
    return base64.b32encode(device.bin_key).decode("ascii").rstrip("=")


def qr_svg(uri: str) -> str:
    """An inline SVG QR code, rendered on the server (no JavaScript, no external service)."""
    qr = segno.make(uri, error="m")
    return qr.svg_inline(scale=5, border=2, dark="#1a202c", light="#ffffff", omitsize=True)
