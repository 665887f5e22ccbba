"""``civicgrid serve``: serve the site with waitress (static files through WhiteNoise)."""

from __future__ import annotations

import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "用 waitress 启动 Web 服务（默认 http://127.0.0.1:8000，PORT 环境变量可改端口）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", default=os.environ.get("PORT", "8000"))
        parser.add_argument("--threads", type=int, default=8)
        parser.add_argument(
            "--trusted-proxy", default=os.environ.get("CIVICGRID_TRUSTED_PROXY", ""),
            help="反向代理（如 nginx）的地址：信任其 X-Forwarded-For/-Proto，审计日志记录真实来源地址",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from waitress import serve

        from civicgrid.wsgi import application

        try:
            port = int(options["port"])
        except ValueError:
            raise CommandError(f"端口无效：{options['port']!r}") from None
        if not 0 < port < 65536:
            raise CommandError(f"端口超出范围：{port}")
        self.stdout.write(f"civicgrid 服务地址：http://{options['host']}:{port}/  （Ctrl+C 停止）")
        self.stdout.flush()
        proxy: dict[str, Any] = {}
        if options["trusted_proxy"]:
            # the client address and scheme come from the proxy's headers, and only from it
            proxy = {"trusted_proxy": options["trusted_proxy"],
                     "trusted_proxy_headers": {"x-forwarded-for", "x-forwarded-proto"},
                     "clear_untrusted_proxy_headers": True}
        try:
            serve(application, host=options["host"], port=port, threads=options["threads"],
                  ident="civicgrid", **proxy)
        except OSError as exc:  # address in use, no permission for a low port, bad host
            raise CommandError(
                f"无法在 {options['host']}:{port} 启动服务：{exc.strerror or exc}。"
                f"可用 PORT=其他端口 重新运行，例如 PORT=8080 make demo。"
            ) from None
