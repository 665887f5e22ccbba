"""core.refcache: grants, categories, deadline policies and centres cached across requests,
reloaded after a write here (signals) and in every other process (the stored token)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from civicgrid.accounts import services as account_services
from civicgrid.accounts.models import OrgKind, OrgUnit, RoleGrant, RolePermission, User
from civicgrid.accounts.scope import can
from civicgrid.cases import deadlines, intake, routing
from civicgrid.cases.models import Category, DeadlinePolicy, DeadlineUnit, Stage
from civicgrid.core import refcache
from civicgrid.core.models import CacheVersion

pytestmark = pytest.mark.django_db


def fresh(user: User) -> User:
    """A new request's user object (the per-request cache lives on the object)."""
    return User.objects.get(pk=user.pk)


def another_process_wrote() -> None:
    """What another process's write leaves behind: a new stored token, nothing local."""
    CacheVersion.objects.update_or_create(name=refcache.NAME, defaults={"token": "elsewhere"})


def test_grants_are_read_once_across_requests(cast) -> None:  # type: ignore[no-untyped-def]
    assert can(fresh(cast["hotline"]), "cases.report")
    with CaptureQueriesContext(connection) as ctx:
        assert can(fresh(cast["hotline"]), "cases.report")
    assert not [q for q in ctx.captured_queries if "rolegrant" in q["sql"]]


def test_a_grant_change_is_seen_at_once_in_this_process(cast) -> None:  # type: ignore[no-untyped-def]
    resident = cast["resident"]
    assert not can(fresh(resident), "cases.dispatch")
    account_services.grant_role(actor=cast["secadmin"], user=resident, role_code="center_operator",
                                org_unit=OrgUnit.objects.filter(kind=OrgKind.CENTER).first())
    assert can(fresh(resident), "cases.dispatch")
    account_services.revoke_grant(actor=cast["secadmin"],
                                  grant=RoleGrant.objects.get(user=resident, role__code="center_operator"))
    assert not can(fresh(resident), "cases.dispatch")


def test_a_matrix_change_is_seen_by_every_holder(cast) -> None:  # type: ignore[no-untyped-def]
    hotline = cast["hotline"]
    assert can(fresh(hotline), "cases.report")
    role = RoleGrant.objects.filter(user=hotline).select_related("role").first().role
    RolePermission.objects.filter(role=role, permission="cases.report").delete()  # signals
    assert not can(fresh(hotline), "cases.report")


def test_another_process_write_is_seen_after_the_recheck(cast, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    hotline = cast["hotline"]
    assert can(fresh(hotline), "cases.report")
    # a write elsewhere: no signal here, only the stored token moves
    RolePermission.objects.filter(permission="cases.report").update(permission="cases.x")
    another_process_wrote()
    assert can(fresh(hotline), "cases.report")  # within RECHECK_SECONDS: the cached answer
    monkeypatch.setattr(refcache, "_checked_at", refcache._checked_at - refcache.RECHECK_SECONDS)
    assert not can(fresh(hotline), "cases.report")  # the token moved: reloaded


def test_an_unchanged_token_keeps_the_values_after_the_recheck(cast, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    intake.active_categories()
    monkeypatch.setattr(refcache, "_checked_at", refcache._checked_at - refcache.RECHECK_SECONDS)
    with CaptureQueriesContext(connection) as ctx:
        intake.active_categories()
    assert len(ctx.captured_queries) == 1 and "core_cacheversion" in ctx.captured_queries[0]["sql"]


def test_category_and_policy_changes_are_seen(cast) -> None:  # type: ignore[no-untyped-def]
    category = Category.objects.get(code="shirong-laji")
    assert "shirong-laji" in intake.active_categories()
    category.is_active = False
    category.save()
    assert "shirong-laji" not in intake.active_categories()
    start = timezone.now()
    before = deadlines.due_for(stage=Stage.ACCEPT, category=category, urgency="normal",
                               area_level="township", start=start)
    DeadlinePolicy.objects.create(stage=Stage.ACCEPT, category=category, amount=77,
                                  unit=DeadlineUnit.HOURS)
    after = deadlines.due_for(stage=Stage.ACCEPT, category=category, urgency="normal",
                              area_level="township", start=start)
    assert before != after and after == start + dt.timedelta(hours=77)


def test_a_centre_change_moves_the_owner(cast) -> None:  # type: ignore[no-untyped-def]
    township = OrgUnit.objects.filter(kind=OrgKind.CENTER, area__level="township").select_related("area").first()
    code = township.area.code + "001"
    assert routing.owner_for(code) == township
    township.is_active = False
    township.save()
    assert routing.owner_for(code) != township


def test_nothing_is_kept_from_a_transaction_that_may_roll_back(cast) -> None:  # type: ignore[no-untyped-def]
    category = Category.objects.get(code="shirong-laji")
    category.is_active = False
    category.save()  # bumps inside the test's transaction
    refcache.get("probe", lambda: 1)
    assert "probe" not in (refcache._data or {})


def test_a_new_webhook_subscriber_gets_the_next_event(cast) -> None:  # type: ignore[no-untyped-def]
    from civicgrid.areas.models import Area
    from civicgrid.webhooks import services as webhooks
    from civicgrid.webhooks.models import Delivery

    area = Area.objects.filter(level="city").first()
    assert webhooks.enqueue(event="case.created", event_id="e-1", payload={},
                            area_code=area.code + "01") == 0
    webhooks.create_subscriber(actor=None, name="12345", url="https://example.org/hook",
                               events=["case.created"], area=area)
    assert webhooks.enqueue(event="case.created", event_id="e-2", payload={},
                            area_code=area.code + "01") == 1
    assert Delivery.objects.filter(event_id="e-2").count() == 1
