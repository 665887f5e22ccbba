"""``civicgrid deliver-webhooks``: send due webhook deliveries (once, or ``--every N`` seconds).

The worker lowers its own CPU priority (``--nice``, default 10): deliveries are asynchronous
by design, so when the server is busy the case actions that cause them come first and the
queue drains in the next quiet moment (docs/benchmarks.md, "Webhooks").
"""

from __future__ import annotations

import os
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from civicgrid.core import worker
from civicgrid.webhooks.delivery import deliver_due


class Command(BaseCommand):
    help = "发送待推送的 Webhook（签名、失败重试）。--every N 每 N 秒一次。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--every", type=float, default=0, metavar="SECONDS",
                            help="持续运行，每隔 SECONDS 秒发送一次（默认只运行一次）")
        parser.add_argument("--limit", type=int, default=200, help="每次最多发送条数")
        parser.add_argument("--nice", type=int, default=10, choices=range(20), metavar="0-19",
                            help="降低本进程的 CPU 优先级（默认 10：服务器繁忙时先办理事件，推送稍后）")

    def handle(self, *args: Any, **options: Any) -> None:
        every = max(float(options["every"] or 0), 0.0)
        if options["nice"]:
            os.nice(options["nice"])
        limit = options["limit"]

        def once() -> bool:
            report = deliver_due(limit=limit)
            if not every or report.sent or report.retried or report.dead:
                self.stdout.write(f"推送成功 {report.sent}；待重试 {report.retried}；放弃 {report.dead}")
            return report.more  # a full batch: go on

        worker.run(once, every=every, stderr=self.stderr, label="推送")
