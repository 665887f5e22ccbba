"""A password chosen by someone else (an admin) must be replaced at the next login."""

from __future__ import annotations

import pytest
from django.test import Client

from civicgrid.accounts import services
from civicgrid.accounts.models import User

pytestmark = pytest.mark.django_db


def test_admin_created_account_must_change_its_password_first(cast) -> None:  # type: ignore[no-untyped-def]
    user = services.create_user(actor=cast["sysadmin"], username="newbie", password="Initial#Pass26")
    assert user.must_change_password
    client = Client()
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/password/")
    page = client.get("/accounts/password/").content.decode()
    assert "初始密码" in page
    done = client.post("/accounts/password/", {"old_password": "Initial#Pass26",
                                               "new_password1": "Own#Choice2026",
                                               "new_password2": "Own#Choice2026"})
    assert done.status_code == 302
    user.refresh_from_db()
    assert not user.must_change_password
    assert client.get("/").status_code == 200


def test_an_admin_reset_forces_a_change_again(cast) -> None:  # type: ignore[no-untyped-def]
    user = cast["street"]
    assert not user.must_change_password  # the published demo logins opt out
    services.set_password(actor=cast["sysadmin"], user=user, password="Reset#Pass2026")
    assert User.objects.get(pk=user.pk).must_change_password


def test_system_admin_resets_a_forgotten_password_in_the_admin(cast) -> None:  # type: ignore[no-untyped-def]
    target = cast["hotline"]
    admin_client = Client()
    admin_client.force_login(cast["sysadmin"])
    response = admin_client.post("/admin/accounts/user/", {
        "action": "reset_password", "_selected_action": [target.pk]}, follow=True)
    shown = [str(m) for m in response.context["messages"]]
    temporary = next(m.split("：", 1)[1] for m in shown if m.startswith("hotline 的临时密码"))
    target.refresh_from_db()
    assert target.check_password(temporary) and target.must_change_password
    assert temporary not in str(list(target.password_history.values_list("password", flat=True)))


def test_nobody_else_sets_other_peoples_passwords_and_no_admin_takes_over_another(cast) -> None:  # type: ignore[no-untyped-def]
    from civicgrid.core.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.reset_password(actor=cast["center"], user=cast["grid"])
    with pytest.raises(PermissionDenied) as refused:
        services.reset_password(actor=cast["sysadmin"], user=cast["auditor"])
    assert refused.value.code == "admin_roles_separated"
    assert cast["auditor"].check_password("Demo-2026!")
