"""Login and account pages (thin: the rules live in services, otp and settings)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_http_methods, require_POST

from civicgrid.accounts import otp, services
from civicgrid.accounts.forms import PasswordChangeForm, TokenForm
from civicgrid.accounts.middleware import password_expired
from civicgrid.core import audit
from civicgrid.core.errors import DomainError


def _safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


class CivicLoginView(LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):  # type: ignore[no-untyped-def]
        context = super().get_context_data(**kwargs)
        context["lockout_failures"] = settings.AXES_FAILURE_LIMIT
        context["lockout_minutes"] = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
        return context

    def form_valid(self, form):  # type: ignore[no-untyped-def]
        response = super().form_valid(form)
        if otp.confirmed_device(form.get_user()) is not None:
            # the password was right; the session counts as verified only after the code
            url = reverse("otp_verify") + "?" + urlencode({"next": self.get_success_url()})
            return HttpResponseRedirect(url)
        return response


@require_http_methods(["GET", "POST"])
def otp_verify(request: HttpRequest) -> HttpResponse:
    """Second login step: the 6-digit code of the user's authenticator app."""
    done = _safe_next(request, reverse(settings.LOGIN_REDIRECT_URL))
    if not otp.needs_second_step(request):
        return redirect(done)
    form = TokenForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        if otp.verify_second_step(request, form.cleaned_data["token"]):
            audit.record(actor=request.user, action="auth.otp_verified",
                         target=f"user:{request.user.get_username()}",
                         ip=request.META.get("REMOTE_ADDR", ""))
            return redirect(done)
        audit.record(actor=request.user, action="auth.otp_failed",
                     target=f"user:{request.user.get_username()}",
                     ip=request.META.get("REMOTE_ADDR", ""))
        device = otp.confirmed_device(request.user)  # type: ignore[arg-type]
        if device is not None and otp.throttled(device):
            error = gettext_noop("动态验证码不正确。尝试过于频繁，请稍等几秒后再输入新的验证码。")
        else:
            error = gettext_noop("动态验证码不正确或已使用，请等待下一个验证码后重试。")
    return render(request, "accounts/otp_verify.html",
                  {"form": form, "error": error, "next": done})


@require_http_methods(["GET", "POST"])
def password_change(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = PasswordChangeForm(user, request.POST or None)  # type: ignore[arg-type]
    if request.method == "POST" and form.is_valid():
        try:
            services.set_password(actor=user, user=user,  # type: ignore[arg-type]
                                  password=form.cleaned_data["new_password1"])
        except DomainError as exc:
            form.add_error("new_password1", list(exc.fields.get("password", [exc.message])))
        else:
            update_session_auth_hash(request, user)  # type: ignore[arg-type]
            messages.success(request, _("密码已修改。"))
            return redirect(_safe_next(request, reverse("account_security")))
    context = {
        "form": form,
        "expired": password_expired(user),
        "initial": getattr(user, "must_change_password", False),
        "max_age_days": settings.PASSWORD_MAX_AGE_DAYS,
        "help_texts": form.help_texts(),
        "next": _safe_next(request, ""),
    }
    return render(request, "accounts/password_change.html", context)


def security(request: HttpRequest) -> HttpResponse:
    """Account security overview: password age, second factor."""
    user = request.user
    device = otp.confirmed_device(user)  # type: ignore[arg-type]
    return render(request, "accounts/security.html", {
        "otp_enabled": device is not None,
        "password_changed_at": getattr(user, "password_changed_at", None),
        "max_age_days": settings.PASSWORD_MAX_AGE_DAYS,
        "expired": password_expired(user),
        "initial": getattr(user, "must_change_password", False),
    })


@require_http_methods(["GET", "POST"])
def otp_setup(request: HttpRequest) -> HttpResponse:
    """Enable TOTP: scan the QR code (or type the key), then confirm with one code."""
    user = request.user
    if otp.confirmed_device(user) is not None:  # type: ignore[arg-type]
        return render(request, "accounts/otp_setup.html",
                      {"enabled": True, "form": TokenForm()})
    device = services.start_totp(actor=user, user=user)  # type: ignore[arg-type]
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            confirmed = services.confirm_totp(actor=user, user=user,  # type: ignore[arg-type]
                                              token=form.cleaned_data["token"])
        except DomainError as exc:
            form.add_error("token", exc.message)
        else:
            otp.otp_login(request, confirmed)  # this session has just proved the second factor
            messages.success(request, _("双因素认证已启用，今后登录需输入动态验证码。"))
            return redirect("account_security")
    return render(request, "accounts/otp_setup.html", {
        "enabled": False,
        "form": form,
        "qr_svg": otp.qr_svg(device.config_url),
        "secret": otp.secret_base32(device),
        "uri": device.config_url,
    })


@require_POST
def otp_disable(request: HttpRequest) -> HttpResponse:
    """Turn TOTP off; a current code is required so that an open session alone is not enough."""
    user = request.user
    device = otp.confirmed_device(user)  # type: ignore[arg-type]
    form = TokenForm(request.POST)
    if device is None:
        return redirect("account_security")
    if form.is_valid() and device.verify_token(form.cleaned_data["token"]):
        services.disable_totp(actor=user, user=user)  # type: ignore[arg-type]
        messages.success(request, _("双因素认证已关闭。"))
        return redirect("account_security")
    return render(request, "accounts/otp_setup.html", {
        "enabled": True, "form": form, "disable_error": gettext_noop("动态验证码不正确，未关闭双因素认证。"),
    }, status=400)


def locked_out(request: HttpRequest, original_response: HttpResponse | None = None,
               credentials: dict | None = None) -> HttpResponse:
    """The lockout page (settings.AXES_LOCKOUT_CALLABLE): shown instead of the login form."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    username = str((credentials or {}).get("username") or request.POST.get("username", ""))[:150]
    return render(request, "accounts/locked_out.html", {
        "username": username, "minutes": minutes, "failure_limit": settings.AXES_FAILURE_LIMIT,
    }, status=429)
