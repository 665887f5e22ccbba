"""Audit every login, logout, failed login and lockout (等保 2.0: security events are logged)."""

from __future__ import annotations

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from civicgrid.core import audit


def _ip(request) -> str:  # type: ignore[no-untyped-def]
    if request is None:
        return ""
    return request.META.get("REMOTE_ADDR", "") or ""


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs) -> None:  # type: ignore[no-untyped-def]
    audit.record(actor=user, action="auth.login", target=f"user:{user.get_username()}", ip=_ip(request))


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs) -> None:  # type: ignore[no-untyped-def]
    if user is not None:
        audit.record(actor=user, action="auth.logout", target=f"user:{user.get_username()}", ip=_ip(request))


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs) -> None:  # type: ignore[no-untyped-def]
    username = str(credentials.get("username", ""))[:150]
    # axes' receiver runs first (its app is installed earlier) and flags refused attempts
    data = {"locked_out": True} if getattr(request, "axes_locked_out", False) else {}
    audit.record(actor=None, actor_name=username, action="auth.login_failed",
                 target=f"user:{username}", ip=_ip(request), data=data)


@receiver(user_locked_out)
def _locked_out(sender, request, username, ip_address, **kwargs) -> None:  # type: ignore[no-untyped-def]
    """The failure that locks the account. (Later refused attempts are login_failed + locked_out.)"""
    if getattr(request, "axes_failures_since_start", None) is None:
        return  # an attempt while already locked: axes re-sends the signal without counting
    name = str(username or "")[:150]
    audit.record(actor=None, actor_name=name, action="auth.lockout", target=f"user:{name}",
                 ip=str(ip_address or "")[:64],
                 data={"failures": request.axes_failures_since_start})
