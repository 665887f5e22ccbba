"""``civicgrid seed-taxonomy`` loads the defaults once and keeps local edits."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from civicgrid.cases.models import Category, DeadlinePolicy

pytestmark = pytest.mark.django_db


def test_seed_taxonomy_is_idempotent(capsys) -> None:  # type: ignore[no-untyped-def]
    Category.objects.filter(code="sheshi-ludeng").update(name="路灯（本地改名）")
    categories, policies = Category.objects.count(), DeadlinePolicy.objects.count()
    call_command("seed_taxonomy")
    assert "新增 0" in capsys.readouterr().out
    assert (Category.objects.count(), DeadlinePolicy.objects.count()) == (categories, policies)
    assert Category.objects.get(code="sheshi-ludeng").name == "路灯（本地改名）"
