"""Forms of the account pages. Validation of the rules happens in services; forms only collect."""

from __future__ import annotations

from django import forms
from django.contrib.auth.password_validation import password_validators_help_texts

from civicgrid.accounts.models import User


class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(
        label="当前密码", strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    new_password1 = forms.CharField(
        label="新密码", strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    new_password2 = forms.CharField(
        label="再次输入新密码", strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, user: User, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        self.user = user
        super().__init__(*args, **kwargs)

    @staticmethod
    def help_texts() -> list[str]:
        return password_validators_help_texts()

    def clean_old_password(self) -> str:
        value = self.cleaned_data["old_password"]
        if not self.user.check_password(value):
            raise forms.ValidationError("当前密码不正确。", code="password_incorrect")
        return value

    def clean(self) -> dict:
        data = super().clean() or {}
        one, two = data.get("new_password1"), data.get("new_password2")
        if one and two and one != two:
            self.add_error("new_password2", "两次输入的新密码不一致。")
        return data


class TokenForm(forms.Form):
    """A 6-digit code from an authenticator app."""

    token = forms.RegexField(
        label="动态验证码", regex=r"^\s*\d{6}\s*$", max_length=12,
        error_messages={"invalid": "请输入 6 位数字验证码。"},
        widget=forms.TextInput(attrs={
            "autocomplete": "one-time-code", "inputmode": "numeric", "pattern": "[0-9]*",
            "maxlength": "6",
        }),
    )

    def clean_token(self) -> str:
        return self.cleaned_data["token"].strip()
