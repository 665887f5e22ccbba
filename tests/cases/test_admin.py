"""Case configuration in the admin: the system admin edits it; nobody else reaches it."""

from __future__ import annotations

import re

import pytest

from civicgrid.cases.models import Category
from civicgrid.core.models import AuditEntry
from tests.accounts.conftest import login_client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", ["/admin/cases/category/", "/admin/cases/deadlinepolicy/",
                                 "/admin/core/calendarday/"])
def test_only_the_system_admin_opens_case_settings(cast, url: str) -> None:  # type: ignore[no-untyped-def]
    assert login_client(cast["sysadmin"]).get(url).status_code == 200
    for username in ("secadmin", "auditor", "center", "dept"):
        assert login_client(cast[username]).get(url).status_code in (302, 403), username


def test_system_admin_edits_a_category_and_it_is_audited(cast) -> None:  # type: ignore[no-untyped-def]
    category = Category.objects.get(code="sheshi-ludeng")
    client = login_client(cast["sysadmin"])
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


def test_the_system_admin_sees_and_edits_the_subcategories_of_a_top_category(cast) -> None:  # type: ignore[no-untyped-def]
    top = Category.objects.get(code="sheshi-ludeng").parent
    children = list(Category.objects.filter(parent=top).order_by("sort", "code", "pk"))
    client = login_client(cast["sysadmin"])
    page = client.get(f"/admin/cases/category/{top.pk}/change/").content.decode()
    assert "TOTAL_FORMS" in page and children[0].name in page  # the inline is shown
    formset = re.search(r'name="([\w-]+)-TOTAL_FORMS"', page)
    assert formset is not None
    p = formset.group(1)
    data = {"code": top.code, "name": top.name, "department_type": top.department_type,
            "urgency": top.urgency, "duplicate_radius_m": top.duplicate_radius_m,
            "is_public": "on" if top.is_public else "", "is_active": "on" if top.is_active else "",
            "sort": top.sort, f"{p}-TOTAL_FORMS": len(children), f"{p}-INITIAL_FORMS": len(children),
            f"{p}-MIN_NUM_FORMS": 0, f"{p}-MAX_NUM_FORMS": 1000}
    for i, child in enumerate(children):
        data.update({f"{p}-{i}-id": child.pk, f"{p}-{i}-parent": top.pk, f"{p}-{i}-code": child.code,
                     f"{p}-{i}-name": child.name + ("（改）" if i == 0 else ""),
                     f"{p}-{i}-department_type": child.department_type, f"{p}-{i}-urgency": child.urgency,
                     f"{p}-{i}-duplicate_radius_m": child.duplicate_radius_m,
                     f"{p}-{i}-is_public": "on" if child.is_public else "",
                     f"{p}-{i}-is_active": "on" if child.is_active else "", f"{p}-{i}-sort": child.sort})
    data = {k: v for k, v in data.items() if v != ""}
    response = client.post(f"/admin/cases/category/{top.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    children[0].refresh_from_db()
    assert children[0].name.endswith("（改）")
    assert AuditEntry.objects.filter(action="admin.category.change", target=f"cases.category:{children[0].pk}").exists()
    assert login_client(cast["center"]).get(f"/admin/cases/category/{top.pk}/change/").status_code in (302, 403)
