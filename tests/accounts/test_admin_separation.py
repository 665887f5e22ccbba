"""The three admin roles (三员) kept apart, in the services and in the Django admin.

Access to /admin/ comes from the permission matrix; is_staff/is_superuser play no part.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from civicgrid.accounts import services
from civicgrid.accounts.models import Role, RoleGrant, User
from civicgrid.core.errors import Conflict, PermissionDenied
from civicgrid.core.models import AuditEntry
from tests.accounts.conftest import PASSWORD, login_client

pytestmark = pytest.mark.django_db

NEW_USER = {"username": "t_new", "display_name": "新网格员", "email": "", "org_unit": "",
            "password1": "Fresh#Member1", "password2": "Fresh#Member1"}


def _status(client: Client, name: str, *args: object) -> int:
    return client.get(reverse(name, args=args)).status_code


# --- services -------------------------------------------------------------------------------


def test_nobody_is_a_superuser_or_staff(people) -> None:  # type: ignore[no-untyped-def]
    assert not User.objects.filter(username__startswith="t_", is_superuser=True).exists()
    assert not User.objects.filter(username__startswith="t_", is_staff=True).exists()


def test_system_admin_cannot_grant_roles(people) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PermissionDenied):
        services.grant_role(actor=people["t_sys"], user=people["t_plain"], role_code="leader")


def test_security_admin_cannot_create_or_change_users(people) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PermissionDenied):
        services.create_user(actor=people["t_sec"], username="x1", password="Fresh#Member1")
    with pytest.raises(PermissionDenied):
        services.update_user(actor=people["t_sec"], user=people["t_plain"], display_name="x",
                             is_active=False)


def test_auditor_can_do_neither(people) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PermissionDenied):
        services.create_user(actor=people["t_aud"], username="x2", password="Fresh#Member1")
    with pytest.raises(PermissionDenied):
        services.grant_role(actor=people["t_aud"], user=people["t_plain"], role_code="leader")


def test_an_admin_role_cannot_be_combined_with_another_role(people) -> None:  # type: ignore[no-untyped-def]
    sec = people["t_sec"]
    with pytest.raises(Conflict):
        services.grant_role(actor=sec, user=people["t_sys"], role_code="auditor")
    with pytest.raises(Conflict):
        services.grant_role(actor=sec, user=people["t_grid"], role_code="sysadmin")
    with pytest.raises(Conflict):
        services.grant_role(actor=sec, user=people["t_aud"], role_code="grid_member")
    services.grant_role(actor=sec, user=people["t_grid"], role_code="household_head")  # fine


def test_the_matrix_cannot_hand_admin_powers_to_other_roles(people) -> None:  # type: ignore[no-untyped-def]
    sec = people["t_sec"]
    with pytest.raises(PermissionDenied):
        services.set_role_permissions(actor=sec, role=Role.objects.get(code="leader"),
                                      permissions=["dashboard.view", "audit.view"])
    with pytest.raises(PermissionDenied):
        services.set_role_permissions(actor=sec, role=Role.objects.get(code="secadmin"),
                                      permissions=["roles.manage", "audit.view"])
    services.set_role_permissions(actor=sec, role=Role.objects.get(code="leader"),
                                  permissions=["dashboard.view", "areas.view"])


# --- who reaches the admin ------------------------------------------------------------------


@pytest.mark.parametrize("who", ["t_grid", "t_plain"])
def test_other_users_do_not_reach_the_admin(people, who: str) -> None:  # type: ignore[no-untyped-def]
    client = login_client(people[who])
    assert _status(client, "admin:index") == 403
    assert _status(client, "admin:accounts_user_changelist") == 403


def test_a_superuser_flag_alone_opens_nothing(people) -> None:  # type: ignore[no-untyped-def]
    User.objects.filter(pk=people["t_plain"].pk).update(is_superuser=True, is_staff=True)
    client = login_client(User.objects.get(pk=people["t_plain"].pk))
    assert _status(client, "admin:index") == 403


def test_anonymous_is_sent_to_the_one_login_page(db) -> None:  # type: ignore[no-untyped-def]
    response = Client().get(reverse("admin:index"), follow=True)
    last_url, _status_code = response.redirect_chain[-1]
    assert last_url.startswith(reverse("login")) and "next=" in last_url
    assert response.status_code == 200 and 'data-testid="login-submit"' in response.content.decode()


def test_system_admin_sees_users_areas_orgs_not_roles_or_audit(people) -> None:  # type: ignore[no-untyped-def]
    client = login_client(people["t_sys"])
    index = client.get(reverse("admin:index"))
    assert index.status_code == 200
    body = index.content.decode()
    assert "管理后台" in body and "用户" in body and "角色授权" not in body
    for name in ("admin:accounts_user_changelist", "admin:accounts_user_add",
                 "admin:accounts_orgunit_changelist", "admin:areas_area_changelist",
                 "admin:areas_grid_changelist", "admin:areas_householdgroup_changelist"):
        assert _status(client, name) == 200, name
    for name in ("admin:accounts_role_changelist", "admin:accounts_rolegrant_changelist",
                 "admin:accounts_rolegrant_add", "admin:accounts_rolepermission_changelist",
                 "admin:core_auditentry_changelist"):
        assert _status(client, name) == 403, name
    assert _status(client, "admin:areas_grid_add") == 403  # grids come from imports


def test_system_admin_creates_a_user_through_the_service(people) -> None:  # type: ignore[no-untyped-def]
    client = login_client(people["t_sys"])
    response = client.post(reverse("admin:accounts_user_add"), NEW_USER)
    assert response.status_code == 302, response.content.decode()[:2000]
    user = User.objects.get(username="t_new")
    assert user.check_password("Fresh#Member1") and not user.is_superuser and not user.is_staff
    assert not user.grants.exists()
    entry = AuditEntry.objects.get(action="user.create", target="user:t_new")
    assert entry.actor_name == "t_sys"


def test_weak_password_in_the_admin_is_a_form_error(people) -> None:  # type: ignore[no-untyped-def]
    client = login_client(people["t_sys"])
    response = client.post(reverse("admin:accounts_user_add"),
                           {**NEW_USER, "password1": "weakweak", "password2": "weakweak"})
    assert response.status_code == 200
    assert not User.objects.filter(username="t_new").exists()


def test_system_admin_deactivates_a_user_audited(people) -> None:  # type: ignore[no-untyped-def]
    client = login_client(people["t_sys"])
    target = people["t_grid"]
    response = client.post(reverse("admin:accounts_user_change", args=[target.pk]), {
        "display_name": target.display_name, "email": "", "org_unit": "",
    })  # is_active unchecked
    assert response.status_code == 302
    target.refresh_from_db()
    assert not target.is_active
    assert AuditEntry.objects.filter(action="user.deactivate", target="user:t_grid",
                                     actor_name="t_sys").exists()
    assert Client().post(reverse("login"), {"username": "t_grid", "password": PASSWORD}).status_code == 200


def test_security_admin_manages_grants_not_users_or_reference_data(people) -> None:  # type: ignore[no-untyped-def]
    client = login_client(people["t_sec"])
    assert _status(client, "admin:index") == 200
    for name in ("admin:accounts_role_changelist", "admin:accounts_rolegrant_changelist",
                 "admin:accounts_rolegrant_add", "admin:accounts_rolepermission_changelist"):
        assert _status(client, name) == 200, name
    for name in ("admin:accounts_user_changelist", "admin:accounts_user_add",
                 "admin:areas_area_changelist", "admin:areas_grid_changelist",
                 "admin:areas_householdgroup_changelist", "admin:accounts_orgunit_changelist",
                 "admin:core_auditentry_changelist"):
        assert _status(client, name) == 403, name
    response = client.post(reverse("admin:accounts_user_add"), NEW_USER)
    assert response.status_code == 403 and not User.objects.filter(username="t_new").exists()


def test_security_admin_grants_through_the_service(people) -> None:  # type: ignore[no-untyped-def]
    client = login_client(people["t_sec"])
    leader = Role.objects.get(code="leader")
    response = client.post(reverse("admin:accounts_rolegrant_add"), {
        "username": "t_plain", "role": leader.pk, "area_code": "", "grid_code": "", "org_unit": "",
    })
    assert response.status_code == 302
    grant = RoleGrant.objects.get(user=people["t_plain"], role=leader)
    assert grant.granted_by == people["t_sec"]
    assert AuditEntry.objects.filter(action="grant.create", target="user:t_plain",
                                     actor_name="t_sec").exists()
    # a refused grant (admin roles kept apart) is a form error, nothing is written
    auditor = Role.objects.get(code="auditor")
    refused = client.post(reverse("admin:accounts_rolegrant_add"), {
        "username": "t_sys", "role": auditor.pk, "area_code": "", "grid_code": "", "org_unit": "",
    })
    assert refused.status_code == 200 and "三员角色不能与其他角色兼任" in refused.content.decode()
    assert not RoleGrant.objects.filter(user=people["t_sys"], role=auditor).exists()
    # revoking goes through the service too
    delete = client.post(reverse("admin:accounts_rolegrant_delete", args=[grant.pk]), {"post": "yes"})
    assert delete.status_code == 302 and not RoleGrant.objects.filter(pk=grant.pk).exists()
    assert AuditEntry.objects.filter(action="grant.revoke", target="user:t_plain").exists()


def test_security_admin_edits_the_matrix_through_the_service(people) -> None:  # type: ignore[no-untyped-def]
    client = login_client(people["t_sec"])
    leader = Role.objects.get(code="leader")
    response = client.post(reverse("admin:accounts_role_change", args=[leader.pk]), {
        "name": "领导", "description": "", "permission_codes": ["areas.view", "dashboard.view"],
    })
    assert response.status_code == 302
    assert set(leader.permissions.values_list("permission", flat=True)) == {"areas.view", "dashboard.view"}
    assert AuditEntry.objects.filter(action="role.permissions_set", target="role:leader").exists()
    refused = client.post(reverse("admin:accounts_role_change", args=[leader.pk]), {
        "name": "领导", "description": "", "permission_codes": ["areas.view", "users.manage"],
    })
    assert refused.status_code == 200
    assert "users.manage" not in set(leader.permissions.values_list("permission", flat=True))


def test_auditor_only_reads_the_audit_log(people) -> None:  # type: ignore[no-untyped-def]
    client = login_client(people["t_aud"])
    assert _status(client, "admin:index") == 200
    assert _status(client, "admin:core_auditentry_changelist") == 200
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry is not None
    assert _status(client, "admin:core_auditentry_change", entry.pk) == 200  # read-only view
    assert client.post(reverse("admin:core_auditentry_change", args=[entry.pk]),
                       {"action": "x"}).status_code == 403
    assert _status(client, "admin:core_auditentry_add") == 403
    assert _status(client, "admin:core_auditentry_delete", entry.pk) == 403
    for name in ("admin:accounts_user_changelist", "admin:accounts_role_changelist",
                 "admin:accounts_rolegrant_changelist", "admin:areas_area_changelist",
                 "admin:accounts_orgunit_changelist"):
        assert _status(client, name) == 403, name
    assert _status(client, "audit:list") == 200
