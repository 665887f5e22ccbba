"""Login is required for every page; the API answers 401 by itself (token or session)."""

from __future__ import annotations

from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequired
from django.http import HttpRequest

# Paths whose views authenticate on their own terms (DRF: token or session, 401 otherwise).
SELF_AUTHENTICATING_PREFIXES = ("/api/v1/", "/open311/")


class LoginRequiredMiddleware(DjangoLoginRequired):
    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):  # type: ignore[no-untyped-def]
        if request.path.startswith(SELF_AUTHENTICATING_PREFIXES):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)
