"""``civicgrid serve``: serve the site with granian (WSGI; static files through WhiteNoise).

granian does the HTTP work in Rust and runs Django in ``--workers`` processes with
``--threads`` threads each. Against waitress it took ≈ 2 ms of CPU off every API request
(docs/benchmarks.md, "Case intake"), which on a small intranet server is the difference
between one core and two. Behind nginx, ``--trusted-proxy`` (``CIVICGRID_TRUSTED_PROXY``)
names the proxy whose ``X-Forwarded-For``/``-Proto`` are believed (``core/proxy.py``).
"""

from __future__ import annotations

import os
import socket
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from civicgrid.core.env import env_int


def _default_workers() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


class Command(BaseCommand):
    help = "用 granian 启动 Web 服务（默认 http://127.0.0.1:8000，PORT 环境变量可改端口）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", default=os.environ.get("PORT", "8000"))
        parser.add_argument("--workers", type=int, default=env_int("CIVICGRID_WORKERS", _default_workers(),
                                                                   min_value=1),
                            help="进程数（默认为 CPU 核数，最多 8）")
        parser.add_argument("--threads", type=int, default=4, help="每个进程的线程数")
        parser.add_argument(
            "--trusted-proxy", default=os.environ.get("CIVICGRID_TRUSTED_PROXY", ""),
            help="反向代理（如 nginx）的地址：信任其 X-Forwarded-For/-Proto，审计日志记录真实来源地址",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from granian import Granian
        from granian.constants import Interfaces
        from granian.log import LogLevels

        try:
            port = int(options["port"])
        except ValueError:
            raise CommandError(f"端口无效：{options['port']!r}") from None
        if not 0 < port < 65536:
            raise CommandError(f"端口超出范围：{port}")
        if options["workers"] < 1 or options["threads"] < 1:
            raise CommandError("--workers 与 --threads 至少为 1。")
        host = options["host"]
        self._check_bind(host, port)
        # the worker processes read the settings again: the proxy goes to them through the env
        os.environ["CIVICGRID_TRUSTED_PROXY"] = options["trusted_proxy"]
        self.stdout.write(f"civicgrid 服务地址：http://{host}:{port}/  （Ctrl+C 停止）")
        self.stdout.flush()
        Granian("civicgrid.wsgi:application", address=host, port=port, interface=Interfaces.WSGI,
                workers=options["workers"], blocking_threads=options["threads"],
                respawn_failed_workers=True, log_level=LogLevels.warning).serve()

    @staticmethod
    def _check_bind(host: str, port: int) -> None:
        """Fail with a clear message (address in use, no permission, bad host) before granian
        starts its workers, which would only log the error."""
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            with socket.socket(infos[0][0], socket.SOCK_STREAM) as probe:
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                probe.bind(infos[0][4])
        except OSError as exc:
            raise CommandError(
                f"无法在 {host}:{port} 启动服务：{exc.strerror or exc}。"
                f"可用 PORT=其他端口 重新运行，例如 PORT=8080 make demo。"
            ) from None
