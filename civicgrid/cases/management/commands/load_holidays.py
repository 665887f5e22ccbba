"""``civicgrid load-holidays FILE``: load next year's official holiday notice.

The State Council publishes each year's 放假安排 in November or December. Until the
``chinese_calendar`` package carries it, load it here (CSV or JSON, UTF-8)::

    date,type,name
    2027-01-01,休,元旦
    2027-02-06,班,春节调休上班

``type`` is 休 (a day off) or 班 (a 调休 working day); days not listed follow the package,
or Monday–Friday for a year the package does not know. Loading the same file again changes
nothing; ``--replace`` also removes earlier overrides of the same years that the file no
longer lists. Every change is written to the audit log.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from civicgrid.core.workcalendar import NoticeError, load_notice, parse_notice


class Command(BaseCommand):
    help = "导入国务院节假日安排（CSV 或 JSON：date,type(休/班),name），覆盖法定工作日历。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="CSV 或 JSON 文件（UTF-8）")
        parser.add_argument("--format", choices=["csv", "json"],
                            help="文件格式（默认按扩展名判断）")
        parser.add_argument("--replace", action="store_true",
                            help="删除同一年份中文件未列出的旧调整")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        fmt = options["format"] or ("json" if path.suffix.lower() == ".json" else "csv")
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"无法读取 {path}：{exc.strerror or exc}") from None
        except UnicodeDecodeError:
            raise CommandError(f"{path} 不是 UTF-8 编码。") from None
        try:
            days = parse_notice(text, fmt=fmt)
        except NoticeError as exc:
            raise CommandError(f"{path}：{exc}") from None
        result = load_notice(actor=None, days=days, source=str(path),
                             replace_years=options["replace"])
        self.stdout.write(
            f"已导入 {len(days)} 天（{days[0].date} 至 {days[-1].date}）：新增 {result.created}，"
            f"修改 {result.updated}，未变 {result.unchanged}，删除 {result.removed}。"
        )
