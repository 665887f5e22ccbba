"""``civicgrid tick``: mark overdue cases, notify, escalate, supervise, deliver messages.

Run once (cron), or ``--every 60`` as a long-running worker (see docs/adr/0005).
"""

from __future__ import annotations

import signal
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections

from civicgrid.cases.tick import tick


class Command(BaseCommand):
    help = "时限巡检：标记超期、通知责任人、超期自动上报/督办、发送待发消息。--every N 每 N 秒一次。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--every", type=int, default=0, metavar="SECONDS",
                            help="持续运行，每隔 SECONDS 秒巡检一次（默认只运行一次）")

    def handle(self, *args: Any, **options: Any) -> None:
        every = max(int(options["every"] or 0), 0)
        stopping = False

        def stop(_signum: int, _frame: Any) -> None:
            nonlocal stopping
            stopping = True

        if every:
            signal.signal(signal.SIGTERM, stop)
        while True:
            if every:  # a long-lived worker: drop connections that went stale while asleep
                close_old_connections()
            started = time.monotonic()
            try:
                report = tick()
            except Exception as exc:  # a worker keeps going; a one-off run reports the error
                if not every:
                    raise
                self.stderr.write(f"巡检失败：{exc!r}")
            else:
                self.stdout.write(str(report))
            if not every or stopping:
                return
            while not stopping and time.monotonic() - started < every:
                time.sleep(min(1.0, every))
            if stopping:
                return
