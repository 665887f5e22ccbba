"""The webhook signature: ``sha256=`` + hex HMAC-SHA256(secret, f"{timestamp}.{body}").

``timestamp`` is the Unix time in seconds sent in ``X-Civicgrid-Timestamp``; signing it with
the body lets a receiver refuse replays of an old delivery (docs/webhooks.md).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

PREFIX = "sha256="


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int | str, body: bytes) -> str:
    message = str(timestamp).encode("ascii") + b"." + body
    return PREFIX + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verify(secret: str, timestamp: str, body: bytes, received: str, *, now: float,
           tolerance: int = 300) -> bool:
    """What a receiver does (the same steps as the snippet in docs/webhooks.md)."""
    try:
        sent_at = int(timestamp)
    except ValueError:
        return False
    if abs(now - sent_at) > tolerance:
        return False
    return hmac.compare_digest(signature(secret, sent_at, body), received)
