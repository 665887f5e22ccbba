"""The first admin accounts come from a command, never from a superuser."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from civicgrid.accounts.models import User
from civicgrid.accounts.scope import roles_of

pytestmark = pytest.mark.django_db


def test_create_admin_from_a_password_file(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    secret = tmp_path / "pw"
    secret.write_text("Xian-Audit-2026!\n", encoding="utf-8")
    call_command("create_admin", "audit2", "--role", "auditor", "--name", "审计员",
                 "--password-file", str(secret))
    user = User.objects.get(username="audit2")
    assert roles_of(user) == ["auditor"] and not user.is_superuser and not user.is_staff
    assert user.check_password("Xian-Audit-2026!")
    assert user.must_change_password  # the installer chose it: replaced at first login
    assert "audit2" in capsys.readouterr().out


def test_weak_password_or_taken_name_is_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    weak = tmp_path / "weak"
    weak.write_text("abc\n", encoding="utf-8")
    with pytest.raises(CommandError, match="密码"):
        call_command("create_admin", "sys2", "--role", "sysadmin", "--password-file", str(weak))
    assert not User.objects.filter(username="sys2").exists()
    good = tmp_path / "good"
    good.write_text("Another-Pass-2026!\n", encoding="utf-8")
    with pytest.raises(CommandError, match="已存在"):
        call_command("create_admin", "sysadmin", "--role", "sysadmin", "--password-file", str(good))
