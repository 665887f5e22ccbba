"""``civicgrid demo``: build the demo city (idempotent) and print the demo logins."""

from __future__ import annotations

import time
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from civicgrid.demo.build import DEMO_PASSWORD, DemoSize, build_demo, demo_logins


class Command(BaseCommand):
    help = "构建演示城市（大武口区）并打印演示账号；已存在时直接复用。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--grids", type=int, default=600, help="网格数（默认 600）")
        parser.add_argument("--villages", type=int, default=60, help="村/社区数（默认 60）")
        parser.add_argument("--seed", type=int, default=2026, help="随机种子（默认 2026）")
        parser.add_argument("--cases", type=int, default=None,
                            help="两年历史事件数（默认按网格数，600 个网格约 20000 件；0 为不生成）")
        parser.add_argument("--no-migrate", action="store_true", help="不先执行 migrate")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["grids"] < 1 or options["villages"] < 1:
            raise CommandError("--grids 与 --villages 必须为正整数")
        if options["cases"] is not None and options["cases"] < 0:
            raise CommandError("--cases 不能为负数")
        if not options["no_migrate"]:
            call_command("migrate", verbosity=0, interactive=False)
        started = time.monotonic()
        size = DemoSize(villages=options["villages"], grids=options["grids"], seed=options["seed"],
                        cases=options["cases"])
        try:
            built = build_demo(size)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        if built:
            self.stdout.write(f"演示城市已生成（{time.monotonic() - started:.1f} 秒）。")
        else:
            self.stdout.write("演示城市已存在，直接复用。")
        self.stdout.write(f"\n演示账号（密码均为 {DEMO_PASSWORD}）：")
        for login in demo_logins():
            self.stdout.write(f"  {login.username:<10} {login.role:<12} {login.scope}")
