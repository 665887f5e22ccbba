"""The system admin's webhook pages: add (secret shown once), deliveries, who is failing."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from civicgrid.areas.models import Area
from civicgrid.core import personal
from civicgrid.core.models import AuditEntry
from civicgrid.webhooks.models import Delivery, DeliveryStatus, Subscriber
from tests.accounts.conftest import login_client
from tests.webhooks.test_delivery import subscribe


def _client(user) -> Client:  # type: ignore[no-untyped-def]
    return login_client(user)


def test_system_admin_adds_a_subscriber_and_sees_the_secret_once(cast) -> None:  # type: ignore[no-untyped-def]
    client = _client(cast["sysadmin"])
    area = Area.objects.get(code="640202")
    response = client.post(reverse("admin:webhooks_subscriber_add"), {
        "name": "12345 热线", "url": "https://hotline.example.org/hooks",
        "events": ["case.created", "case.state_changed"], "area": area.pk, "active": "on",
    }, follow=True)
    assert response.status_code == 200
    subscriber = Subscriber.objects.get(name="12345 热线")
    secret = subscriber.signing_secret
    assert secret.startswith("whsec_") and subscriber.created_by == cast["sysadmin"]
    assert personal.is_sealed(subscriber.secret) and secret not in subscriber.secret  # sealed at rest
    shown = [str(m) for m in response.context["messages"]]
    assert any(secret in m for m in shown)
    page = client.get(reverse("admin:webhooks_subscriber_change", args=[subscriber.pk]))
    assert page.status_code == 200 and secret not in page.content.decode()
    assert secret[:9] + "…" in page.content.decode()  # the hint: its first characters
    assert AuditEntry.objects.filter(action="webhooks.subscriber.create").exists()


def test_a_bad_url_is_a_form_error(cast) -> None:  # type: ignore[no-untyped-def]
    client = _client(cast["sysadmin"])
    response = client.post(reverse("admin:webhooks_subscriber_add"), {
        "name": "x", "url": "ftp://example.org/", "events": ["case.created"],
        "area": Area.objects.get(code="640202").pk})
    assert response.status_code == 200 and not Subscriber.objects.filter(name="x").exists()


def test_failing_subscribers_are_listed_with_their_deliveries(cast) -> None:  # type: ignore[no-untyped-def]
    ok = subscribe(None, url="http://127.0.0.1:9/ok", name="正常的系统")
    bad = subscribe(None, url="http://127.0.0.1:9/bad", name="宕机的系统")
    now = timezone.now()
    Delivery.objects.create(subscriber=bad, event_id="ce-1", event="case.created", payload={},
                            status=DeliveryStatus.DEAD, attempts=8, last_error="ConnectionRefused",
                            next_attempt_at=now, created_at=now)
    Subscriber.objects.filter(pk=bad.pk).update(failing_since=now)
    client = _client(cast["sysadmin"])
    url = reverse("admin:webhooks_subscriber_changelist")
    failing = client.get(url, {"health": "failing"}).content.decode()
    assert "宕机的系统" in failing and "正常的系统" not in failing
    detail = client.get(reverse("admin:webhooks_subscriber_change", args=[bad.pk])).content.decode()
    assert "ConnectionRefused" in detail
    dead = client.get(reverse("admin:webhooks_delivery_changelist"), {"status": "dead"})
    assert dead.status_code == 200 and "宕机的系统" in dead.content.decode()
    assert ok.pk


def test_other_roles_do_not_reach_the_webhook_admin(cast) -> None:  # type: ignore[no-untyped-def]
    for who in ("secadmin", "center", "leader"):
        client = _client(cast[who])
        assert client.get(reverse("admin:webhooks_subscriber_changelist")).status_code == 403
