"""``civicgrid import-grids FILE.geojson``: create or redraw grids from a GeoJSON file."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from civicgrid.areas import services
from civicgrid.areas.importers.grids_geojson import SUPPORTED_CRS, read_grids_geojson
from civicgrid.core.errors import DomainError


class Command(BaseCommand):
    help = (
        "导入网格 GeoJSON（properties.code 为 15 位网格编码，properties.name 为名称，"
        "Polygon/MultiPolygon）。几何变化的网格关闭旧版本并新增版本（保留历史）；"
        "任何一个要素有误（编码、所属村/社区、自相交、越界、重叠）则整个文件不导入。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="GeoJSON 文件路径")
        parser.add_argument("--crs", choices=SUPPORTED_CRS, default=None,
                            help="坐标系（默认读取文件的 crs 成员，缺省为 wgs84；gcj02 会转换为 WGS-84）")
        parser.add_argument("--no-progress", action="store_true", help="不显示进度条")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        progress = not options["no_progress"] and sys.stderr.isatty()
        try:
            features = read_grids_geojson(options["file"], crs=options["crs"])
            result = services.import_grids(actor=None, features=features,
                                           source=Path(options["file"]).name, progress=progress)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(
            f"网格导入完成：新增 {result.created}，重绘 {result.redrawn}，改名 {result.renamed}，"
            f"未变 {result.unchanged}（{time.monotonic() - started:.1f} 秒）。"
        )
