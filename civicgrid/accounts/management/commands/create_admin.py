"""``civicgrid create-admin USERNAME --role sysadmin|secadmin|auditor``: the first admin accounts.

No superuser is ever needed: a fresh installation gets its three admins (三员) with this
command, each an ordinary account holding one admin role. The password is asked twice on
the terminal (or read from ``--password-file`` for automation) and must pass the policy.
"""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from civicgrid.accounts import services
from civicgrid.accounts.permissions import ADMIN_ROLE_CODES
from civicgrid.core.errors import DomainError


class Command(BaseCommand):
    help = "创建三员账号（系统管理员 / 安全管理员 / 审计管理员），无需超级用户。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=sorted(ADMIN_ROLE_CODES))
        parser.add_argument("--name", default="", help="姓名")
        parser.add_argument("--password-file", type=Path,
                            help="从文件第一行读取密码（用于自动化部署；读后请删除该文件）")

    def _password(self, options: dict[str, Any]) -> str:
        if options["password_file"] is not None:
            try:
                return options["password_file"].read_text(encoding="utf-8").splitlines()[0]
            except (OSError, IndexError) as exc:
                raise CommandError(f"无法读取密码文件：{exc}") from None
        first = getpass.getpass("密码：")
        if first != getpass.getpass("再次输入密码："):
            raise CommandError("两次输入的密码不一致。")
        return first

    def handle(self, *args: Any, **options: Any) -> None:
        password = self._password(options)
        try:
            user = services.create_user(actor=None, username=options["username"], password=password,
                                        display_name=options["name"])
            services.grant_role(actor=None, user=user, role_code=options["role"])
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"已创建账号 {user.username}（{options['role']}）。")
