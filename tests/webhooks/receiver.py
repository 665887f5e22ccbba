"""A real HTTP receiver on loopback that checks each webhook's signature on its own.

The check below is written from docs/webhooks.md, not imported from civicgrid: it is what a
subscriber's system does.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    signature_ok: bool
    path: str = ""

    @property
    def json(self) -> dict[str, Any]:
        return json.loads(self.body)


@dataclass
class Receiver:
    secret: str = ""
    answers: list[int] = field(default_factory=list)  # statuses to answer in turn; then 200
    redirect_to: str = ""
    delay: float = 0.0  # seconds to wait before answering (a slow receiver)
    keep_alive: bool = False  # answer as HTTP/1.1 with a body, keeping the connection open
    received: list[Received] = field(default_factory=list)
    connections: set[int] = field(default_factory=set)  # the client ports seen
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/hooks/civicgrid"

    def verify(self, headers: dict[str, str], body: bytes) -> bool:
        timestamp = headers.get("X-Civicgrid-Timestamp", "")
        if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > 300:
            return False
        expected = "sha256=" + hmac.new(self.secret.encode(), timestamp.encode() + b"." + body,
                                        hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, headers.get("X-Civicgrid-Signature", ""))

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1" if self.keep_alive else "HTTP/1.0"

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                receiver.connections.add(self.client_address[1])
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = dict(self.headers.items())
                receiver.received.append(Received(headers, body, receiver.verify(headers, body),
                                                  self.path))
                if receiver.delay:
                    time.sleep(receiver.delay)
                if receiver.redirect_to:
                    self.send_response(307)
                    self.send_header("Location", receiver.redirect_to)
                else:
                    status = receiver.answers.pop(0) if receiver.answers else 200
                    self.send_response(status)
                answer = b'{"received": true}' if receiver.keep_alive else b""
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


def closed_port_url() -> str:
    """A loopback URL where nothing listens (the port was bound, then released)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/hooks"
