"""``civicgrid import-areas FILE.csv``: upsert administrative divisions from a CSV file."""

from __future__ import annotations

import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from civicgrid.areas import services
from civicgrid.core.errors import DomainError


class Command(BaseCommand):
    help = (
        "导入行政区划 CSV（自动识别表头：modood 的 provinces/cities/areas/streets/villages，"
        "code,name 或 province_code,… 层级格式）。按代码更新，重复导入不产生变化；"
        "任何一行有误则整个文件不导入。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="CSV 文件路径（UTF-8 或 GB18030）")
        parser.add_argument("--no-progress", action="store_true", help="不显示进度条")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        progress = not options["no_progress"] and sys.stderr.isatty()
        try:
            result = services.import_areas_file(actor=None, path=options["file"],
                                                progress=progress)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(
            f"区划导入完成：新增 {result.created}，更新 {result.updated}，"
            f"未变 {result.unchanged}（{time.monotonic() - started:.1f} 秒）。"
        )
