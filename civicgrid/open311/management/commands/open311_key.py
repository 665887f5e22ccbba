"""``civicgrid open311-key NAME --jurisdiction CODE``: issue an Open311 api_key (shown once)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from civicgrid.core.errors import DomainError
from civicgrid.open311 import keys
from civicgrid.open311.models import Open311Client


class Command(BaseCommand):
    help = "为外部系统签发 Open311 api_key（只显示一次，库中只存哈希）；--revoke 吊销。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="接入系统名称，例如“12345热线系统”")
        parser.add_argument("--jurisdiction", help="辖区区划代码，例如 640202")
        parser.add_argument("--rate-limit", type=int, default=60, help="每分钟请求上限（默认 60）")
        parser.add_argument("--revoke", action="store_true", help="吊销该接入系统的密钥")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["revoke"]:
                client = Open311Client.objects.filter(name=options["name"]).first()
                if client is None:
                    raise CommandError(f"接入系统 {options['name']} 不存在。")
                keys.revoke_key(actor=None, client=client)
                self.stdout.write(f"已吊销：{client.name}（{client.key_prefix}…）")
                return
            if not options["jurisdiction"]:
                raise CommandError("请用 --jurisdiction 指定辖区区划代码。")
            issued = keys.issue_key(actor=None, name=options["name"],
                                    jurisdiction_code=options["jurisdiction"],
                                    rate_limit_per_minute=options["rate_limit"])
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"已签发：{issued.client.name}，辖区 {issued.client.jurisdiction}")
        self.stdout.write(f"api_key（只显示这一次，请妥善保存）：{issued.key}")
