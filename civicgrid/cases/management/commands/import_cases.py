"""``civicgrid import-cases FILE [--mapping MAPPING.json] [--source NAME]``: bulk import."""

from __future__ import annotations

import csv
import dataclasses
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from civicgrid.accounts.models import User
from civicgrid.cases.imports import Mapping, import_cases
from civicgrid.cases.imports import mapping as mappings
from civicgrid.core.errors import DomainError


class Command(BaseCommand):
    help = "从 12345 等系统导出的 CSV/.xlsx 批量导入事件（按工单编号去重，可重复导入）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="CSV 或 .xlsx 文件")
        parser.add_argument("--mapping", help="列映射文件（JSON，见 docs/import-cases.md）")
        parser.add_argument("--source", help="来源系统名称（与工单编号一起作为去重键）")
        parser.add_argument("--root-area", help="区划范围（默认：唯一的区县）")
        parser.add_argument("--user", help="以该用户身份导入（检查 cases.import 权限）")
        parser.add_argument("--rejects", help="把被拒绝的行写入此 CSV 文件")
        parser.add_argument("--no-progress", action="store_true", help="不显示进度条")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        try:
            mapping = mappings.load(options["mapping"]) if options["mapping"] else Mapping()
            mapping = mapping.with_source(options["source"])
            if options["root_area"]:
                mapping = dataclasses.replace(mapping, root_area=options["root_area"])
            actor = None
            if options["user"]:
                actor = User.objects.filter(username=options["user"]).first()
                if actor is None:
                    raise CommandError(f"用户 {options['user']} 不存在。")
            bar = tqdm(unit="行", disable=options["no_progress"], file=self.stderr._out)
            with path.open("rb") as fh, bar:
                result = import_cases(actor=actor, file=fh, name=path.name, mapping=mapping,
                                      progress=bar.update,
                                      on_total=lambda total: setattr(bar, "total", total))
        except OSError as exc:
            raise CommandError(f"无法读取 {path}：{exc}") from exc
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        summary = result.summary()
        self.stdout.write(
            f"{summary['source']}: {summary['rows']} 行，新建 {summary['created']}，"
            f"更新 {summary['updated']}，未变 {summary['unchanged']}，拒绝 {summary['rejected']}"
            f"（{summary['seconds']} 秒）")
        for rejected in result.rejected[:20]:
            self.stdout.write(f"  第 {rejected.number} 行 {rejected.source_ref}: {rejected.reason}")
        if len(result.rejected) > 20:
            self.stdout.write(f"  …… 另有 {len(result.rejected) - 20} 行被拒绝")
        if options["rejects"]:
            with open(options["rejects"], "w", encoding="utf-8-sig", newline="") as out:
                writer = csv.writer(out)
                writer.writerow(["行号", "工单编号", "错误代码", "原因"])
                for r in result.rejected:
                    writer.writerow([r.number, r.source_ref, r.code, r.reason])

