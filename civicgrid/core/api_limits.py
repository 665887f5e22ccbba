"""API limits: body size per content type (413) and a cache-backed rate limit (429).

Kept apart from ``core.api`` because DRF imports these classes while it defines ``APIView``
(``DEFAULT_PARSER_CLASSES`` and ``DEFAULT_THROTTLE_CLASSES`` in settings).
"""

from __future__ import annotations

import io
import time
from typing import Any

from django.conf import settings
from django.core.cache import cache
from rest_framework import parsers
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from civicgrid.core.errors import PayloadTooLarge

# --- body size ------------------------------------------------------------------------------


def _content_length(request: Any) -> int:
    meta = getattr(request, "META", {})
    try:
        return int(meta.get("CONTENT_LENGTH") or 0)
    except (TypeError, ValueError):
        return 0


def max_json_bytes() -> int:
    return int(getattr(settings, "DATA_UPLOAD_MAX_MEMORY_SIZE", None) or 2_621_440)


def max_multipart_bytes() -> int:
    photos = int(getattr(settings, "CASE_PHOTO_MAX_BYTES", 10 * 1024 * 1024))
    count = int(getattr(settings, "CASE_PHOTO_MAX_COUNT", 9))
    return photos * count + max_json_bytes()


def too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"请求体过大（上限 {limit / (1024 * 1024):.1f} MB）。",
                           fields={"limit": limit})


class LimitedJSONParser(parsers.JSONParser):
    """JSON bodies up to DATA_UPLOAD_MAX_MEMORY_SIZE; beyond that 413, never read whole."""

    def parse(self, stream: Any, media_type: str | None = None,
              parser_context: dict[str, Any] | None = None) -> Any:
        request = (parser_context or {}).get("request")
        limit = max_json_bytes()
        if request is not None and _content_length(request) > limit:
            raise too_large(limit)
        data = stream.read(limit + 1) if stream is not None else b""
        if len(data) > limit:
            raise too_large(limit)
        return super().parse(io.BytesIO(data), media_type, parser_context)


class LimitedMultiPartParser(parsers.MultiPartParser):
    """Multipart bodies up to all allowed photos plus the form fields; beyond that 413."""

    def parse(self, stream: Any, media_type: str | None = None,
              parser_context: dict[str, Any] | None = None) -> Any:
        request = (parser_context or {}).get("request")
        if request is not None and _content_length(request) > max_multipart_bytes():
            raise too_large(max_multipart_bytes())
        return super().parse(stream, media_type, parser_context)


class LimitedFormParser(parsers.FormParser):
    def parse(self, stream: Any, media_type: str | None = None,
              parser_context: dict[str, Any] | None = None) -> Any:
        request = (parser_context or {}).get("request")
        if request is not None and _content_length(request) > max_json_bytes():
            raise too_large(max_json_bytes())
        return super().parse(stream, media_type, parser_context)


# --- throttling -----------------------------------------------------------------------------

_PERIODS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hour": 3600, "d": 86400,
            "day": 86400}


def parse_rate(rate: str | None) -> tuple[int, int] | None:
    """``"600/min"`` → (600, 60); empty or ``"-"`` → None (no limit)."""
    if not rate or rate == "-":
        return None
    number, _slash, period = rate.partition("/")
    return int(number), _PERIODS[period.strip().lower()]


class RateThrottle(BaseThrottle):
    """A fixed-window counter in the Django cache: O(1) per request, any cache backend.

    Rates come from ``settings.API_THROTTLE_RATES`` (read per request, so they can change
    in tests); ``user`` counts per authenticated user, ``anon`` per client address.
    """

    def __init__(self) -> None:
        self.wait_seconds: float | None = None

    def scope_and_ident(self, request: Request) -> tuple[str, str]:
        user = getattr(request, "user", None)
        if user is not None and getattr(user, "is_authenticated", False):
            return "user", str(user.pk)
        return "anon", self.get_ident(request)

    def allow_request(self, request: Request, view: Any) -> bool:
        scope, ident = self.scope_and_ident(request)
        rate = parse_rate(getattr(settings, "API_THROTTLE_RATES", {}).get(scope))
        if rate is None:
            return True
        limit, period = rate
        now = time.time()
        window = int(now // period)
        key = f"throttle:{scope}:{ident}:{period}:{window}"
        try:
            cache.add(key, 0, timeout=period + 1)
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=period + 1)
            count = 1
        if count > limit:
            self.wait_seconds = (window + 1) * period - now
            return False
        return True

    def wait(self) -> float | None:
        return self.wait_seconds
