"""The client address and scheme behind a reverse proxy (nginx), trusted from that proxy only.

``CIVICGRID_TRUSTED_PROXY`` names the proxy's address (``civicgrid serve --trusted-proxy``).
A request that comes from it takes its client address from the last entry of
``X-Forwarded-For`` (the one nginx appended) and its scheme from ``X-Forwarded-Proto``; the
same headers from anyone else are removed before any other code sees them, so the audit log's
来源地址 is the real client and nobody can forge it. Without a trusted proxy the headers are
always removed.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

FORWARDED = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO")


class TrustedProxyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.proxy = settings.CIVICGRID_TRUSTED_PROXY

    def __call__(self, request: HttpRequest) -> HttpResponse:
        meta = request.META
        if self.proxy and meta.get("REMOTE_ADDR") == self.proxy:
            client = meta.get("HTTP_X_FORWARDED_FOR", "").split(",")[-1].strip()
            if client:
                meta["REMOTE_ADDR"] = client
            scheme = meta.get("HTTP_X_FORWARDED_PROTO", "").split(",")[-1].strip().lower()
            if scheme in ("http", "https"):
                meta["wsgi.url_scheme"] = scheme  # META is the WSGI environ: request.scheme
        for name in FORWARDED:
            meta.pop(name, None)
        return self.get_response(request)
