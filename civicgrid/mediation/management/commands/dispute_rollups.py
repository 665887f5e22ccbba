"""``civicgrid dispute-rollups rebuild | check [--since DATE]``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "矛盾纠纷统计汇总：rebuild（全部重建）、check（与逐件统计核对）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["rebuild", "check"])
        parser.add_argument("--since", default="", help="check：只核对该日期（YYYY-MM-DD）以来登记的纠纷")

    def handle(self, *args: Any, **options: Any) -> None:
        from civicgrid.mediation import rollup_check, rollups

        if options["action"] == "rebuild":
            self.stdout.write(str(rollups.rebuild()))
            return
        since = None
        if options["since"]:
            try:
                since = dt.date.fromisoformat(options["since"])
            except ValueError as exc:
                raise CommandError("--since 应为 YYYY-MM-DD 格式的日期。") from exc
        result = rollup_check.check(since=since)
        self.stdout.write(str(result))
        for line in result.differences[:50]:
            self.stdout.write(f"  {line}")
        if result.differences:
            raise CommandError(f"纠纷汇总与逐件统计不一致：{len(result.differences)} 处。")
