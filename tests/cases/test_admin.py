"""Case configuration in the admin: the system admin edits it; nobody else reaches it."""

from __future__ import annotations

import pytest
from django.test import Client

from civicgrid.cases.models import Category
from civicgrid.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def _client(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("url", ["/admin/cases/category/", "/admin/cases/deadlinepolicy/",
                                 "/admin/core/calendarday/"])
def test_only_the_system_admin_opens_case_settings(cast, url: str) -> None:  # type: ignore[no-untyped-def]
    assert _client(cast["sysadmin"]).get(url).status_code == 200
    for username in ("secadmin", "auditor", "center", "dept"):
        assert _client(cast[username]).get(url).status_code in (302, 403), username


def test_system_admin_edits_a_category_and_it_is_audited(cast) -> None:  # type: ignore[no-untyped-def]
    category = Category.objects.get(code="sheshi-ludeng")
    client = _client(cast["sysadmin"])
    before = AuditEntry.objects.count()
    response = client.post(f"/admin/cases/category/{category.pk}/change/", {
        "code": category.code, "name": "路灯不亮或损坏", "parent": category.parent_id,
        "department_type": category.department_type, "urgency": "urgent",
        "duplicate_radius_m": 300, "is_public": "on", "is_active": "on", "sort": category.sort,
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    category.refresh_from_db()
    assert (category.name, category.urgency, category.duplicate_radius_m) == ("路灯不亮或损坏", "urgent", 300)
    assert AuditEntry.objects.filter(action="admin.category.change").count() == 1
    assert AuditEntry.objects.count() == before + 1
