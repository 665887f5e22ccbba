"""``civicgrid deliver-webhooks``: send due webhook deliveries (once, or ``--every N`` seconds)."""

from __future__ import annotations

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

    def handle(self, *args: Any, **options: Any) -> None:
        every = max(float(options["every"] or 0), 0.0)
        limit = options["limit"]

        def once() -> bool:
            report = deliver_due(limit=limit)
            if not every or report.sent or report.retried or report.dead:
                self.stdout.write(f"推送成功 {report.sent}；待重试 {report.retried}；放弃 {report.dead}")
            return report.sent + report.retried + report.dead >= limit  # a full batch: go on

        worker.run(once, every=every, stderr=self.stderr, label="推送")
