"""Audit every login, logout and failed login (等保 2.0: security events are logged)."""

from __future__ import annotations

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
    audit.record(actor=None, actor_name=username, action="auth.login_failed",
                 target=f"user:{username}", ip=_ip(request))
