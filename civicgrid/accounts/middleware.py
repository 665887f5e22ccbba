"""Login is required for every page; the API answers 401 by itself (token or session).

Two more gates for a logged-in user (等保 2.0):
- ``OTPRequiredMiddleware``: a user with a confirmed TOTP device who has not entered a code in
  this session sees only the code page (and logout, static files, language switch).
- ``PasswordExpiryMiddleware``: a user whose password is older than
  ``settings.PASSWORD_MAX_AGE_DAYS`` (0 = never) is sent to the change-password page.

``IdleSessionMiddleware`` makes the session's age an idle timeout: activity renews it, at most
once a minute (``SESSION_RENEW_SECONDS``), so that a busy user's requests do not each write
the session row (a durable commit per request).
"""

from __future__ import annotations

import time
from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequired
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils import timezone

from civicgrid.accounts import otp

# Paths whose views authenticate on their own terms (DRF: token or session, 401 otherwise).
SELF_AUTHENTICATING_PREFIXES = ("/api/v1/", "/open311/")
# Always reachable by a logged-in user, whatever gate applies.
ALWAYS_OPEN_URL_NAMES = frozenset({"logout", "set_language", "health"})


def _open_path(request: HttpRequest) -> bool:
    return request.path.startswith((settings.STATIC_URL, settings.MEDIA_URL, "/i18n/"))


def _url_name(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    return match.url_name or "" if match else ""


def _redirect_with_next(request: HttpRequest, url_name: str) -> HttpResponseRedirect:
    url = reverse(url_name)
    if request.method == "GET":
        url += "?" + urlencode({"next": request.get_full_path()})
    return HttpResponseRedirect(url)


class LoginRequiredMiddleware(DjangoLoginRequired):
    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):  # type: ignore[no-untyped-def]
        if request.path.startswith(SELF_AUTHENTICATING_PREFIXES):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)


class _UserGate:
    """Runs ``gate`` in process_view for authenticated users outside the always-open paths."""

    def __init__(self, get_response) -> None:  # type: ignore[no-untyped-def]
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):  # type: ignore[no-untyped-def]
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if _open_path(request) or _url_name(request) in ALWAYS_OPEN_URL_NAMES:
            return None
        # DRF views are marked login_not_required (they authenticate themselves) but a session
        # user reaching them is still subject to the gate
        api = request.path.startswith(SELF_AUTHENTICATING_PREFIXES)
        if not api and not getattr(view_func, "login_required", True):  # login page etc.
            return None
        return self.gate(request)

    def gate(self, request: HttpRequest) -> HttpResponse | None:
        raise NotImplementedError


class OTPRequiredMiddleware(_UserGate):
    def gate(self, request: HttpRequest) -> HttpResponse | None:
        name = _url_name(request)
        if name in ("otp_verify", "api-token") or not otp.needs_second_step(request):
            return None
        if request.path.startswith(SELF_AUTHENTICATING_PREFIXES):
            return JsonResponse(
                {"code": "otp_required", "message": "请先完成双因素认证。", "fields": {}}, status=403
            )
        return _redirect_with_next(request, "otp_verify")


def password_expired(user) -> bool:  # type: ignore[no-untyped-def]
    if getattr(user, "must_change_password", False):
        return True
    days = settings.PASSWORD_MAX_AGE_DAYS
    if days <= 0 or not getattr(user, "password_changed_at", None):
        return False
    return user.password_changed_at < timezone.now() - timedelta(days=days)


class PasswordExpiryMiddleware(_UserGate):
    def gate(self, request: HttpRequest) -> HttpResponse | None:
        if request.path.startswith(SELF_AUTHENTICATING_PREFIXES):
            return None
        if _url_name(request) in ("password_change", "otp_verify"):
            return None
        if not password_expired(request.user):
            return None
        return _redirect_with_next(request, "password_change")


RENEWED = "_renewed"  # session key: when activity last renewed the session's age (epoch seconds)


class IdleSessionMiddleware:
    """Renews the age of a session in use (it is saved, and expires ``SESSION_COOKIE_AGE``
    after that) once ``SESSION_RENEW_SECONDS`` have passed since the last renewal: the idle
    timeout holds to that many seconds. Placed right after Django's ``SessionMiddleware``."""

    def __init__(self, get_response) -> None:  # type: ignore[no-untyped-def]
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is not None and not session.is_empty():
            now = int(time.time())
            if now - int(session.get(RENEWED, 0)) >= settings.SESSION_RENEW_SECONDS:
                session[RENEWED] = now  # modified: SessionMiddleware saves it with a fresh age
        return response
