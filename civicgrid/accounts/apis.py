"""API authentication: POST /api/v1/auth/token/ {"username", "password"[, "otp"]} → {"token": ...}.

The same 等保 rules as the login page: django-axes counts failures per account and refuses a
locked account (even with the right password) with ``account_locked``; a user with a confirmed
TOTP device must also send the current 6-digit code as ``otp``.
"""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in, user_login_failed
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from civicgrid.accounts import otp, services
from civicgrid.core.errors import DomainError


class AccountLocked(DomainError):
    status = 429
    code = "account_locked"


class SecondFactorFailed(DomainError):
    status = 403
    code = "otp_required"


def _locked(request: Request) -> AccountLocked:
    from django.conf import settings

    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return AccountLocked(
        f"账号已锁定：连续登录失败次数过多，请 {minutes} 分钟后再试或联系系统管理员解锁。"
    )


class ObtainTokenView(ObtainAuthToken):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        request=inline_serializer(
            "TokenRequest",
            {
                "username": serializers.CharField(),
                "password": serializers.CharField(),
                "otp": serializers.CharField(required=False, help_text="已启用双因素认证时必填：6 位动态验证码"),
            },
        ),
        responses={
            200: inline_serializer("TokenResponse", {"token": serializers.CharField()}),
            400: OpenApiResponse(description="用户名或密码不正确（validation_failed）"),
            403: OpenApiResponse(description="缺少或错误的动态验证码（otp_required / otp_invalid）"),
            429: OpenApiResponse(description="账号已锁定（account_locked）"),
        },
        auth=[],
    )
    def post(self, request: Request, *args, **kwargs) -> Response:  # type: ignore[no-untyped-def]
        serializer = self.get_serializer(data=request.data)
        try:
            serializer.is_valid(raise_exception=True)
        except serializers.ValidationError:
            # django-axes flags the (DRF) request when the account is or has just become locked
            if getattr(request, "axes_locked_out", False):
                raise _locked(request) from None
            raise
        user = serializer.validated_data["user"]
        device = otp.confirmed_device(user)
        if device is not None:
            code = str(request.data.get("otp", "")).strip()
            if not code:
                raise SecondFactorFailed("该账号已启用双因素认证，请同时提交 6 位动态验证码（otp）。")
            if not device.verify_token(code):
                user_login_failed.send(
                    sender=__name__, credentials={"username": user.get_username()},
                    request=request,
                )
                if getattr(request, "axes_locked_out", False):
                    raise _locked(request)
                raise SecondFactorFailed("动态验证码不正确。", code="otp_invalid")
        user_logged_in.send(sender=user.__class__, request=request, user=user)
        token = services.issue_api_token(user=user)
        return Response({"token": token})
