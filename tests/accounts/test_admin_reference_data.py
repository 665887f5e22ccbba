"""Reference data in the admin (系统管理员): writes go through services or are audited."""

from __future__ import annotations

import pytest
from django.urls import reverse

from civicgrid.areas.models import Area, AreaLevel, Grid, HouseholdGroup
from civicgrid.core.models import AuditEntry
from tests.accounts.conftest import login_client

pytestmark = pytest.mark.django_db


def test_household_group_created_through_the_service(people) -> None:  # type: ignore[no-untyped-def]
    grid = Grid.objects.current().first()
    assert grid is not None, "the test city has grids"
    client = login_client(people["t_sys"])
    url = reverse("admin:areas_householdgroup_add")
    response = client.post(url, {"grid_code": grid.code, "name": "测试联户组", "head": "",
                                 "household_count": 12})
    assert response.status_code == 302
    assert HouseholdGroup.objects.filter(grid_code=grid.code, name="测试联户组").exists()
    assert AuditEntry.objects.filter(action="household_group.create", actor_name="t_sys").exists()
    # the service's refusal (no such grid) is a form error, not a crash
    refused = client.post(url, {"grid_code": "999999999999999", "name": "无网格", "head": "",
                                "household_count": 12})
    assert refused.status_code == 200 and "不存在" in refused.content.decode()


def test_area_edits_are_audited(people) -> None:  # type: ignore[no-untyped-def]
    village = Area.objects.filter(level=AreaLevel.VILLAGE).select_related("parent").first()
    assert village is not None
    client = login_client(people["t_sys"])
    response = client.post(reverse("admin:areas_area_change", args=[village.pk]), {
        "code": village.code, "name": village.name + "（更名）", "level": village.level,
        "parent": village.parent_id,
    })
    assert response.status_code == 302, response.content.decode()[:1500]
    entry = AuditEntry.objects.filter(action="admin.area.change").latest("seq")
    assert entry.actor_name == "t_sys" and entry.data["fields"] == ["name"]


def test_grid_page_shows_geometry_read_only(people) -> None:  # type: ignore[no-untyped-def]
    grid = Grid.objects.current().first()
    client = login_client(people["t_sys"])
    page = client.get(reverse("admin:areas_grid_change", args=[grid.pk]))
    assert page.status_code == 200 and "Polygon" in page.content.decode()
    assert client.post(reverse("admin:areas_grid_change", args=[grid.pk]), {}).status_code == 403


def test_security_page_lists_password_age_and_second_factor(people) -> None:  # type: ignore[no-untyped-def]
    client = login_client(people["t_grid"])
    page = client.get(reverse("account_security"))
    body = page.content.decode()
    assert page.status_code == 200 and 'data-testid="otp-status"' in body
    assert reverse("password_change") in body and reverse("otp_setup") in body
