"""``civicgrid seed-taxonomy``: load the default 事项分类 tree and deadline policies.

Idempotent: rows that exist (and any edits made in the admin) are kept. A fresh
installation runs it once after ``migrate``; the demo does it by itself.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from civicgrid.cases.setup_services import seed_taxonomy


class Command(BaseCommand):
    help = "载入默认事项分类与时限规则（已存在的不变）。"

    def handle(self, *args: Any, **options: Any) -> None:
        created = seed_taxonomy()
        self.stdout.write(f"新增 {created} 条分类与时限规则（已存在的保持不变）。")
