"""Password rules beyond Django's: character classes, and no reuse of the last N passwords."""

from __future__ import annotations

import string

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError

_CLASSES = (
    ("小写字母", set(string.ascii_lowercase)),
    ("大写字母", set(string.ascii_uppercase)),
    ("数字", set(string.digits)),
)


def _character_classes(password: str) -> int:
    count = sum(1 for _name, chars in _CLASSES if any(c in chars for c in password))
    if any(not c.isalnum() for c in password):  # punctuation, symbols, spaces
        count += 1
    return count


class CharacterClassValidator:
    """At least ``min_classes`` of: lowercase, uppercase, digits, symbols."""

    def __init__(self, min_classes: int = 3) -> None:
        self.min_classes = min_classes

    def validate(self, password: str, user=None) -> None:  # type: ignore[no-untyped-def]
        if _character_classes(password) < self.min_classes:
            raise ValidationError(
                f"密码须至少包含小写字母、大写字母、数字、符号中的 {self.min_classes} 类。",
                code="password_too_simple",
            )

    def get_help_text(self) -> str:
        return f"至少包含小写字母、大写字母、数字、符号中的 {self.min_classes} 类。"


class HistoryValidator:
    """The new password may not equal the current one nor any of the last N (settings.PASSWORD_HISTORY)."""

    def validate(self, password: str, user=None) -> None:  # type: ignore[no-untyped-def]
        if user is None or not getattr(user, "pk", None):
            return
        depth = settings.PASSWORD_HISTORY
        if depth <= 0:
            return
        hashes = []
        if user.password:
            hashes.append(user.password)
        hashes += list(
            user.password_history.order_by("-created_at", "-id").values_list("password", flat=True)[
                : max(depth - 1, 0)
            ]
        )
        if any(check_password(password, h) for h in hashes):
            raise ValidationError(
                f"新密码不能与最近 {depth} 次使用过的密码相同。", code="password_reused"
            )

    def get_help_text(self) -> str:
        return f"不能与最近 {settings.PASSWORD_HISTORY} 次使用过的密码相同。"
