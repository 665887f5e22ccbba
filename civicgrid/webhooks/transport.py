"""Sending one signed webhook: the body, its headers, and the POST over keep-alive connections.

A POST goes over one keep-alive connection per receiver (scheme, host, port) for the whole
worker pass, with a short timeout (``WEBHOOK_TIMEOUT_SECONDS`` per read). The request is
written by hand in one piece and the answer parsed by httptools (llhttp, in C):
``http.client`` spent ≈ 0.1 ms of CPU per POST, most of it parsing the answer's headers with
the ``email`` package — a quarter of the whole budget of a report's webhooks. 307/308 to the same scheme, host and port are followed (at
most twice, the signed POST repeated); any other redirect is an unsuccessful answer.
"""

from __future__ import annotations

import functools
import json
import re
import socket
import ssl
import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

import httptools
from django.conf import settings

from civicgrid.webhooks import signing

MAX_REDIRECTS = 2
MAX_ANSWER = 65536  # bytes of an answer's body read before the connection is given up
USER_AGENT = "civicgrid-webhooks/1"
_SAFE = "!#$%&'()*+,/:;=?@[]~"  # kept as they are in a path (letters, digits, -._ always)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# the namespace of delivery ids: uuid5(namespace, "<subscriber id>/<event id>")
DELIVERY_NAMESPACE = uuid.UUID("6f1d3c52-8a0e-4c61-9b1e-2f7d5a4c9e10")


@dataclass
class Outcome:
    status: int | None
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def setting(name: str, default: float) -> float:
    return float(getattr(settings, name, default))


def delivery_id(subscriber_id: int, event_id: str) -> uuid.UUID:
    """The stable id of one event for one subscriber: the same on every attempt and from
    every worker, so a receiver can drop a repeat (``X-Civicgrid-Delivery``)."""
    return uuid.uuid5(DELIVERY_NAMESPACE, f"{subscriber_id}/{event_id}")


def body(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def headers(*, secret: str, event: str, delivery: uuid.UUID | str, content: bytes
            ) -> dict[str, str]:
    timestamp = int(time.time())
    return {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        "X-Civicgrid-Event": event,
        "X-Civicgrid-Delivery": str(delivery),
        "X-Civicgrid-Timestamp": str(timestamp),
        "X-Civicgrid-Signature": signing.signature(secret, timestamp, content),
    }


class _Answer:
    """What the parser (httptools: llhttp, in C) tells about one answer."""

    def __init__(self) -> None:
        self.location: str | None = None
        self.headers_done = self.complete = self.keep_alive = False
        self.size = 0
        self.parser = httptools.HttpResponseParser(self)

    def on_header(self, name: bytes, value: bytes) -> None:
        if name.lower() == b"location":
            self.location = value.decode("latin-1")

    def on_headers_complete(self) -> None:
        self.headers_done = True

    def on_body(self, chunk: bytes) -> None:
        self.size += len(chunk)

    def on_message_complete(self) -> None:
        self.complete = True
        # asked now: once the message is complete the parser starts over and says False
        self.keep_alive = self.parser.should_keep_alive()


class Connection:
    """One keep-alive HTTP/1.1 connection (TLS for https, verified as ``ssl`` does by
    default). The request is written in one piece; the answer is parsed by httptools and its
    body read and dropped (a receiver's answer is not ours to keep; past ``MAX_ANSWER`` bytes
    the connection is closed instead)."""

    def __init__(self, scheme: str, host: str, port: int | None, timeout: float) -> None:
        default = 443 if scheme == "https" else 80
        self.sock = socket.create_connection((host, port or default), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if scheme == "https":
            self.sock = _tls().wrap_socket(self.sock, server_hostname=host)

    def exchange(self, request: bytes) -> tuple[int, str | None, bool]:
        """(status, Location, whether the connection may be used again)."""
        self.sock.sendall(request)
        answer = _Answer()
        parser, received = answer.parser, 0
        while not answer.complete and answer.size <= MAX_ANSWER:
            data = self.sock.recv(65536)
            if not data:
                if answer.headers_done:  # a body that ends with the connection
                    break
                raise ConnectionError("the receiver closed the connection without an answer")
            received += len(data)
            if received > 2 * MAX_ANSWER and not answer.headers_done:
                raise ConnectionError("the receiver's answer has no end of headers")
            parser.feed_data(data)
        return parser.get_status_code(), answer.location, answer.keep_alive

    def close(self) -> None:
        self.sock.close()


@functools.cache
def _tls() -> ssl.SSLContext:
    return ssl.create_default_context()


Origin = tuple[str, str, "int | None"]


class Connections:
    """Keep-alive connections for one worker pass, one per origin (scheme, host, port)."""

    def __init__(self, timeout: float | None = None) -> None:
        self.timeout = timeout if timeout is not None else setting("WEBHOOK_TIMEOUT_SECONDS", 5)
        self.open: dict[Origin, Connection] = {}

    def get(self, scheme: str, host: str, port: int | None) -> Connection:
        key = (scheme, host, port)
        if key not in self.open:
            self.open[key] = Connection(scheme, host, port, self.timeout)
        return self.open[key]

    def drop(self, scheme: str, host: str, port: int | None) -> None:
        conn = self.open.pop((scheme, host, port), None)
        if conn is not None:
            conn.close()

    def close(self) -> None:
        for conn in self.open.values():
            conn.close()
        self.open.clear()


Target = tuple[str, str, "int | None", str]  # scheme, host, port, request line and Host


@functools.lru_cache(maxsize=1024)
def _target(url: str) -> Target:
    """Where a URL's POST goes, and the first lines of the request (path percent-encoded,
    host in IDNA); a ValueError for anything but a plain http(s) URL. Cached: a pass sends
    to the same few URLs again and again."""
    parts = urlsplit(url)
    host, port = parts.hostname or "", parts.port  # a bad port is a ValueError too
    if parts.scheme not in ("http", "https") or not host:
        raise ValueError(f"not an http(s) URL: {url[:200]}")
    name = f"[{host}]" if ":" in host else host.encode("idna").decode("ascii")
    path = quote((parts.path or "/") + (f"?{parts.query}" if parts.query else ""), safe=_SAFE)
    if _CONTROL.search(name + path) or " " in name:
        raise ValueError(f"control characters in the URL: {url[:200]!r}")
    return parts.scheme, host, port, (f"POST {path} HTTP/1.1\r\n"
                                      f"Host: {name}{f':{port}' if port else ''}\r\n")


def _request(target: Target, content: bytes, head: dict[str, str]) -> bytes:
    """The POST as bytes: request line, Host, the headers, Content-Length, the body."""
    if any(_CONTROL.search(k + v) for k, v in head.items()):
        raise ValueError("control characters in a header")
    lines = "".join(f"{k}: {v}\r\n" for k, v in head.items())
    return (f"{target[3]}{lines}Content-Length: {len(content)}\r\n\r\n".encode("latin-1")
            + content)


def _exchange(connections: Connections, target: Target, content: bytes, head: dict[str, str]
              ) -> tuple[int, str | None]:
    scheme, host, port, _ = target
    request = _request(target, content, head)
    for attempt in (0, 1):
        reused = (scheme, host, port) in connections.open
        try:
            status, location, keep = connections.get(scheme, host, port).exchange(request)
        except (OSError, httptools.HttpParserError):
            connections.drop(scheme, host, port)
            if reused and attempt == 0:
                continue  # the receiver closed an idle keep-alive connection: once more, fresh
            raise
        if not keep:
            connections.drop(scheme, host, port)
        return status, location
    raise ConnectionError("unreachable")


def post(url: str, content: bytes, head: dict[str, str], *,
         connections: Connections | None = None) -> Outcome:
    """One signed POST; 307/308 to the same origin are followed, other redirects are not."""
    own = connections is None
    connections = connections or Connections()
    try:
        try:
            target = _target(url)
        except ValueError as exc:
            return Outcome(None, str(exc))
        origin = target[:3]
        for _hop in range(MAX_REDIRECTS + 1):
            try:
                status, location = _exchange(connections, target, content, head)
            except (OSError, ValueError, httptools.HttpParserError) as exc:
                return Outcome(None, f"{type(exc).__name__}: {exc}"[:1000])
            if status in (307, 308) and location:
                url = urljoin(url, location)
                try:
                    target = _target(url)
                except ValueError as exc:
                    return Outcome(status, f"redirect not followed: {exc}"[:1000])
                if target[:3] != origin:
                    return Outcome(status,
                                   f"redirect to another host not followed: {location[:200]}")
                continue
            if 300 <= status < 400:
                return Outcome(status, f"redirect not followed: {(location or '')[:200]}")
            return Outcome(status, "" if 200 <= status < 300 else f"HTTP {status}")
        return Outcome(None, "too many redirects")
    finally:
        if own:
            connections.close()


def send(*, url: str, secret: str, event: str, delivery: uuid.UUID | str,
         payload: dict[str, Any] | None = None, content: bytes | None = None,
         connections: Connections | None = None) -> Outcome:
    """Sign and POST one delivery (its body from ``payload`` unless given as ``content``)."""
    content = body(payload or {}) if content is None else content
    return post(url, content, headers(secret=secret, event=event, delivery=delivery,
                                      content=content), connections=connections)
