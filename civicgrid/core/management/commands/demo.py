"""``civicgrid demo``: build the demo city (idempotent) and print the demo logins."""

from __future__ import annotations

import time
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from civicgrid.demo.build import DEMO_PASSWORD, DemoSize, build_demo, demo_logins
from civicgrid.demo.cases import default_count
from civicgrid.demo.scale import build_scale_cases

SCALE_FROM = 100_000  # --cases above this: the demo history plus bulk scale cases


class Command(BaseCommand):
    help = "构建演示城市（大武口区）并打印演示账号；已存在时直接复用。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--grids", type=int, default=600, help="网格数（默认 600）")
        parser.add_argument("--villages", type=int, default=60, help="村/社区数（默认 60）")
        parser.add_argument("--seed", type=int, default=2026, help="随机种子（默认 2026）")
        parser.add_argument("--cases", type=int, default=None,
                            help="两年历史事件数（默认按网格数，600 个网格约 20000 件；0 为不生成）")
        parser.add_argument("--add-cases", type=int, default=0,
                            help="在演示城市上再批量生成 N 件历史事件（规模数据，见 civicgrid.demo.scale）")
        parser.add_argument("--years", type=float, default=4, help="批量生成事件分布的年数（默认 4）")
        parser.add_argument("--no-migrate", action="store_true", help="不先执行 migrate")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["grids"] < 1 or options["villages"] < 1:
            raise CommandError("--grids 与 --villages 必须为正整数")
        if options["cases"] is not None and options["cases"] < 0:
            raise CommandError("--cases 不能为负数")
        if options["add_cases"] < 0 or options["years"] <= 0:
            raise CommandError("--add-cases 不能为负数，--years 必须为正数")
        cases, bulk = options["cases"], 0
        if cases is not None and cases > SCALE_FROM:  # the demo history, and the rest in bulk
            cases, bulk = default_count(options["grids"]), cases - default_count(options["grids"])
        if not options["no_migrate"]:
            call_command("migrate", verbosity=0, interactive=False)
        started = time.monotonic()
        size = DemoSize(villages=options["villages"], grids=options["grids"], seed=options["seed"],
                        cases=cases)
        try:
            built = build_demo(size)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        if built:
            self.stdout.write(f"演示城市已生成（{time.monotonic() - started:.1f} 秒）。")
        else:
            self.stdout.write("演示城市已存在，直接复用。")
        scale = options["add_cases"] + (bulk if built else 0)
        if scale > 0:
            started = time.monotonic()
            with tqdm(total=scale, unit="件", file=self.stderr._out) as bar:
                build_scale_cases(scale, seed=options["seed"], years=options["years"],
                                  progress=bar.update)
            seconds = time.monotonic() - started
            self.stdout.write(f"已批量生成 {scale} 件事件（{seconds:.1f} 秒，每秒 {scale / seconds:,.0f} 件）。"
                              "指挥中心汇总请执行 civicgrid rollups rebuild。")
        self.stdout.write(f"\n演示账号（密码均为 {DEMO_PASSWORD}）：")
        for login in demo_logins():
            self.stdout.write(f"  {login.username:<10} {login.role:<12} {login.scope}")
