"""``civicgrid serve``: the real server (granian) in its own processes, on loopback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CIVICGRID = str(Path(sys.executable).parent / "civicgrid")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "static").mkdir()
    return {**os.environ, "CIVICGRID_DATA_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3"}


def _civicgrid(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CIVICGRID, *args], env=env, capture_output=True, text=True,  # noqa: S603 - our own command
                          timeout=60)


def test_serves_pages_and_static_files_with_several_workers(env: dict[str, str]) -> None:
    port = _free_port()
    command = [CIVICGRID, "serve", "--port", str(port), "--workers", "2", "--threads", "2"]
    server = subprocess.Popen(command, env=env,  # noqa: S603 - our own command
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, body = _get(f"http://127.0.0.1:{port}/healthz")
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.3)
        assert status == 200 and b'"ok"' in body
        status, body = _get(f"http://127.0.0.1:{port}/static/vendor/leaflet/leaflet.js")
        assert status == 200 and b"Leaflet" in body[:2000]
        status, _body = _get(f"http://127.0.0.1:{port}/api/v1/cases/")
        assert status == 401
    finally:
        server.terminate()
        out = server.communicate(timeout=30)[0].decode()
    assert f"http://127.0.0.1:{port}/" in out


def test_a_port_in_use_is_a_clear_error(env: dict[str, str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = _civicgrid("serve", "--port", str(port), env=env)
    assert done.returncode != 0
    assert f"无法在 127.0.0.1:{port} 启动服务" in done.stderr and "PORT=8080" in done.stderr


def test_bad_numbers_are_refused(env: dict[str, str]) -> None:
    for args in (["--port", "http"], ["--port", "70000"], ["--workers", "0"]):
        done = _civicgrid("serve", *args, env=env)
        assert done.returncode != 0 and "CommandError" not in done.stdout
        assert done.stderr.strip()
