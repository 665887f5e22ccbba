"""``civicgrid tick``: mark overdue cases, notify, escalate, supervise, deliver messages.

Run once (cron), or ``--every 60`` as a long-running worker (see docs/adr/0005).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from civicgrid.cases.tick import tick
from civicgrid.core import worker


class Command(BaseCommand):
    help = "时限巡检：标记超期、通知责任人、超期自动上报/督办、发送待发消息。--every N 每 N 秒一次。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--every", type=int, default=0, metavar="SECONDS",
                            help="持续运行，每隔 SECONDS 秒巡检一次（默认只运行一次）")

    def handle(self, *args: Any, **options: Any) -> None:
        def once() -> bool:
            self.stdout.write(str(tick()))
            return False

        worker.run(once, every=max(int(options["every"] or 0), 0), stderr=self.stderr, label="巡检")
