"""The audit admin's pages: only audit.view opens them (404 for everyone else)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from civicgrid.core import audit
from civicgrid.core.audit_views import PAGE_SIZE
from civicgrid.core.models import AuditEntry
from tests.accounts.conftest import login_client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("who", ["t_sys", "t_sec", "t_grid", "t_plain"])
def test_everyone_but_the_auditor_gets_404(people, who: str) -> None:  # type: ignore[no-untyped-def]
    client = login_client(people[who])
    assert client.get(reverse("audit:list")).status_code == 404
    assert client.get(reverse("audit:verify")).status_code == 404


def test_anonymous_is_sent_to_login(db) -> None:  # type: ignore[no-untyped-def]
    response = Client().get(reverse("audit:list"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_list_is_newest_first_and_paginated(people) -> None:  # type: ignore[no-untyped-def]
    for i in range(PAGE_SIZE + 5):
        audit.record(actor=None, actor_name="t_bulk", action="test.bulk", target=f"n:{i}")
    client = login_client(people["t_aud"])
    page1 = client.get(reverse("audit:list"), {"action": "test.bulk"})
    assert page1.status_code == 200
    rows = list(page1.context["page"].object_list)
    assert len(rows) == PAGE_SIZE
    assert [r.seq for r in rows] == sorted((r.seq for r in rows), reverse=True)
    assert rows[0].target == f"n:{PAGE_SIZE + 4}"
    page2 = client.get(reverse("audit:list"), {"action": "test.bulk", "page": 2})
    assert len(page2.context["page"].object_list) == 5
    assert "page=2" in page1.content.decode()


def test_filters_by_action_actor_and_date(people) -> None:  # type: ignore[no-untyped-def]
    audit.record(actor=people["t_sys"], action="user.unlock", target="user:t_grid")
    audit.record(actor=people["t_sec"], action="grant.create", target="user:t_plain")
    old = audit.record(actor=None, actor_name="t_old", action="test.old", target="x")
    with connection.cursor() as cursor:  # an entry from last year (its hash no longer matters)
        cursor.execute("UPDATE core_auditentry SET at = %s WHERE seq = %s",
                       [timezone.now() - timedelta(days=400), old.seq])
    client = login_client(people["t_aud"])

    def seen(**query: str) -> set[str]:
        response = client.get(reverse("audit:list"), query)
        assert response.status_code == 200
        return {e.action for e in response.context["page"].object_list}

    assert seen(action="user.unlock") == {"user.unlock"}
    assert seen(actor="t_sec") >= {"grant.create"} and "user.unlock" not in seen(actor="t_sec")
    today = timezone.localdate().isoformat()
    assert "test.old" not in seen(date_from=today)
    last_year = (timezone.localdate() - timedelta(days=400)).isoformat()
    assert seen(date_from=last_year, date_to=last_year) == {"test.old"}


def test_verify_page_says_ok_then_points_at_the_tampered_row(people) -> None:  # type: ignore[no-untyped-def]
    entries = [audit.record(actor=None, actor_name="t_x", action="test.v", target=f"v:{i}")
               for i in range(3)]
    client = login_client(people["t_aud"])
    ok = client.get(reverse("audit:verify"))
    assert ok.status_code == 200 and 'data-testid="chain-ok"' in ok.content.decode()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditentry SET actor_name = %s WHERE seq = %s",
                       ["someone-else", entries[1].seq])
    bad = client.get(reverse("audit:verify"))
    body = bad.content.decode()
    assert 'data-testid="chain-bad"' in body and str(entries[1].seq) in body
    assert bad.context["report"].first_bad_seq == entries[1].seq
    assert AuditEntry.objects.filter(action="audit.verify", actor_name="t_aud").count() == 2
