"""``civicgrid deliver-webhooks``: send due webhook deliveries (once, or ``--every N`` seconds)."""

from __future__ import annotations

import signal
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections

from civicgrid.webhooks.delivery import DeliveryReport, deliver_due


class Command(BaseCommand):
    help = "发送待推送的 Webhook（签名、失败重试）。--every N 每 N 秒一次。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--every", type=float, default=0, metavar="SECONDS",
                            help="持续运行，每隔 SECONDS 秒发送一次（默认只运行一次）")
        parser.add_argument("--limit", type=int, default=200, help="每次最多发送条数")

    def handle(self, *args: Any, **options: Any) -> None:
        every = max(float(options["every"] or 0), 0.0)
        stopping = False

        def stop(_signum: int, _frame: Any) -> None:
            nonlocal stopping
            stopping = True

        if every:
            signal.signal(signal.SIGTERM, stop)
            signal.signal(signal.SIGINT, stop)
        while True:
            if every:
                close_old_connections()
            started = time.monotonic()
            report = DeliveryReport()
            try:
                report = deliver_due(limit=options["limit"])
            except Exception as exc:
                if not every:
                    raise
                self.stderr.write(f"推送失败：{exc!r}")
            else:
                if not every or report.sent or report.retried or report.dead:
                    self.stdout.write(f"推送成功 {report.sent}；待重试 {report.retried}；"
                                      f"放弃 {report.dead}")
            if not every or stopping:
                return
            if report.sent + report.retried + report.dead >= options["limit"]:
                continue  # a full batch: more are waiting, no pause
            while not stopping and time.monotonic() - started < every:
                time.sleep(min(0.2, every))
            if stopping:
                return
