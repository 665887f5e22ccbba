"""Login and account pages (thin: the rules live in services and settings)."""

from __future__ import annotations

from django.contrib.auth.views import LoginView


class CivicLoginView(LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True
