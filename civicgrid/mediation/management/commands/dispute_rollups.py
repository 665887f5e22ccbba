"""``civicgrid dispute-rollups rebuild | check [--since DATE]``."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "矛盾纠纷统计汇总：rebuild（全部重建）、check（与逐件统计核对）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["rebuild", "check"])
        parser.add_argument("--since", default="", help="check：只核对该日期（YYYY-MM-DD）以来登记的纠纷")

    def handle(self, *args: Any, **options: Any) -> None:
        from civicgrid.mediation import rollup_check, rollups
        from civicgrid.stats.check import run_for_command

        if options["action"] == "rebuild":
            self.stdout.write(str(rollups.rebuild()))
            return
        run_for_command(rollup_check.check, options["since"], self.stdout.write, "纠纷汇总")
