"""``civicgrid rollups fold [--every N] | rebuild | check [--since DATE]``."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from civicgrid.core.worker import run


class Command(BaseCommand):
    help = "指挥中心统计汇总：fold（按流转记录增量汇总）、rebuild（全部重建）、check（与逐件统计核对）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["fold", "rebuild", "check"])
        parser.add_argument("--every", type=float, default=0,
                            help="fold：每隔 N 秒汇总一次，直到收到终止信号")
        parser.add_argument("--since", default="", help="check：只核对该日期（YYYY-MM-DD）以来的数据")

    def handle(self, *args: Any, **options: Any) -> None:
        from civicgrid.stats import check, rollups

        action = options["action"]
        if action == "rebuild":
            self.stdout.write(str(rollups.rebuild()))
        elif action == "fold":
            def job() -> bool:
                report = rollups.fold()
                if report.events or not options["every"]:
                    self.stdout.write(str(report))
                return report.more

            run(job, every=options["every"], stderr=self.stderr, label="统计汇总")
        else:
            check.run_for_command(check.check, options["since"], self.stdout.write, "汇总")
