"""Domain errors: every service raises these; the API and the pages translate them.

``code`` is stable (clients switch on it); ``message`` is Chinese text for people.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status = 400
    code = "invalid"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        fields: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.fields = fields or {}


class ValidationFailed(DomainError):
    status = 400
    code = "validation_failed"


class NotFound(DomainError):
    """Missing, or outside the actor's scope: the two are indistinguishable on purpose."""

    status = 404
    code = "not_found"


class PermissionDenied(DomainError):
    status = 403
    code = "permission_denied"


class PayloadTooLarge(DomainError):
    """A request body (or an uploaded file) over its limit."""

    status = 413
    code = "payload_too_large"

    def __init__(self, message: str = "请求内容过大。", **kwargs: Any) -> None:
        super().__init__(message, **kwargs)


class Conflict(DomainError):
    """An illegal transition or a lost race."""

    status = 409
    code = "conflict"
