"""api_keys: stored as a keyed hash, shown once, issued and revoked by the system admin only."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from civicgrid.core.errors import PermissionDenied
from civicgrid.core.models import AuditEntry
from civicgrid.open311 import keys
from civicgrid.open311.demo import DEMO_KEY, issue_demo_key
from civicgrid.open311.models import Open311Client

pytestmark = pytest.mark.django_db


def test_only_the_keyed_hash_is_stored(cast) -> None:  # type: ignore[no-untyped-def]
    issued = keys.issue_key(actor=cast["sysadmin"], name="视频告警平台", jurisdiction_code="640202")
    row = Open311Client.objects.filter(pk=issued.client.pk).values().get()
    assert issued.key not in str(row)
    assert row["key_hash"] == keys.hash_key(issued.key) != keys.hash_key(issued.key + "x")
    assert keys.client_for_key(issued.key) == issued.client
    entry = AuditEntry.objects.filter(action="open311.key_issued").latest("seq")
    assert entry.actor == cast["sysadmin"] and issued.key not in str(entry.data)


@pytest.mark.parametrize("who", ["center", "secadmin", "resident", "leader"])
def test_only_integration_managers_issue_or_revoke(cast, who: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PermissionDenied):
        keys.issue_key(actor=cast[who], name="x-system", jurisdiction_code="640202")
    demo = Open311Client.objects.get(key_hash=keys.hash_key(DEMO_KEY))
    with pytest.raises(PermissionDenied):
        keys.revoke_key(actor=cast[who], client=demo)
    assert keys.client_for_key(DEMO_KEY) == demo


def test_the_demo_key_is_issued_once_for_the_district() -> None:
    client = issue_demo_key("640202")
    assert issue_demo_key("640202") == client  # idempotent
    assert client.jurisdiction.code == "640202" and client.usable
    assert Open311Client.objects.filter(key_hash=keys.hash_key(DEMO_KEY)).count() == 1


def test_the_command_prints_the_key_once_and_revokes(cast) -> None:  # type: ignore[no-untyped-def]
    out = StringIO()
    call_command("open311_key", "12345热线系统", "--jurisdiction", "640202", "--rate-limit", "5",
                 stdout=out)
    key = re.search(r"api_key（只显示这一次，请妥善保存）：(\S+)", out.getvalue()).group(1)  # type: ignore[union-attr]
    client = keys.client_for_key(key)
    assert client is not None and client.rate_limit_per_minute == 5
    call_command("open311_key", "12345热线系统", "--revoke", stdout=StringIO())
    assert keys.client_for_key(key) is None
    assert AuditEntry.objects.filter(action="open311.key_revoked",
                                     target=f"open311client:{client.pk}").exists()


def test_the_system_admin_issues_a_key_in_the_admin(cast) -> None:  # type: ignore[no-untyped-def]
    browser = Client()
    browser.force_login(cast["sysadmin"])
    assert browser.get("/admin/open311/open311client/").status_code == 200
    from civicgrid.areas.models import Area

    district = Area.objects.get(code="640202")
    response = browser.post("/admin/open311/open311client/add/", {
        "name": "小程序后台", "jurisdiction": district.pk, "rate_limit_per_minute": 30,
    }, follow=True)
    assert response.status_code == 200
    shown = [str(m) for m in response.context["messages"]]
    key = next(m.split("：", 1)[1] for m in shown if "api_key" in m)
    assert keys.client_for_key(key).name == "小程序后台"  # type: ignore[union-attr]
    other = Client()
    other.force_login(cast["center"])
    assert other.get("/admin/open311/open311client/").status_code in (302, 403)
