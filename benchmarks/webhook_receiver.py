"""The webhook benchmark's receiver: an RSGI app for granian, lean on purpose.

It stands for the subscriber's own system (another machine in a deployment), so it should take
as little of the shared CPUs as a real receiver would: granian (Rust) parses HTTP, and the app
only checks the signature (HMAC-SHA256 over ``timestamp.body`` with each secret in
``WEBHOOK_BENCH_SECRETS``, comma-separated), counts, and answers 204 (401 for a bad
signature). ``GET /counts`` answers ``ok bad duplicates`` — a delivery id seen twice counts as a
duplicate (at-least-once delivery: allowed, but the benchmark reports it). One granian worker
keeps the counts in one process.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from typing import Any

SECRETS = [s.encode() for s in os.environ.get("WEBHOOK_BENCH_SECRETS", "").split(",") if s]
counts = {"ok": 0, "bad": 0, "duplicates": 0}
seen: set[str] = set()


def _signed(stamp: str, body: bytes, got: str) -> bool:
    message = stamp.encode() + b"." + body
    return any(hmac.compare_digest("sha256=" + hmac.new(s, message, hashlib.sha256).hexdigest(),
                                   got) for s in SECRETS)


async def app(scope: Any, proto: Any) -> None:
    if scope.method != "POST":
        text = f"{counts['ok']} {counts['bad']} {counts['duplicates']}"
        proto.response_str(200, [("content-type", "text/plain")], text)
        return
    body = await proto()
    headers = scope.headers
    if _signed(headers.get("x-civicgrid-timestamp", ""), body,
               headers.get("x-civicgrid-signature", "")):
        counts["ok"] += 1
        delivery = headers.get("x-civicgrid-delivery", "")
        if delivery in seen:
            counts["duplicates"] += 1
        seen.add(delivery)
        proto.response_empty(204, [])
    else:
        counts["bad"] += 1
        proto.response_empty(401, [])
