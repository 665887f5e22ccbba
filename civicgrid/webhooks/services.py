"""Every write to webhook subscribers and deliveries (keyword-only, explicit actor)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from django.db import transaction
from django.utils import timezone

from civicgrid.accounts.models import User
from civicgrid.areas.models import Area
from civicgrid.core import audit, personal, refcache
from civicgrid.core.errors import NotFound, ValidationFailed
from civicgrid.core.rows import insert as rows_insert
from civicgrid.webhooks import outbox, signing
from civicgrid.webhooks.models import Delivery, DeliveryStatus, Event, Subscriber
from civicgrid.webhooks.transport import delivery_id


def check_url(url: str) -> str:
    """Only absolute http(s) URLs with a host; anything else is refused before it is stored."""
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationFailed("推送地址必须是 http:// 或 https:// 开头的完整网址。",
                               code="webhook_url_invalid", fields={"url": url[:200]})
    if parts.username or parts.password:
        raise ValidationFailed("推送地址不能包含用户名或密码。", code="webhook_url_invalid",
                               fields={"url": "credentials"})
    return url


def check_events(events: Iterable[str]) -> list[str]:
    wanted = sorted(set(events))
    unknown = [e for e in wanted if e not in Event.values]
    if unknown or not wanted:
        raise ValidationFailed("请选择要订阅的事件。", code="webhook_events_invalid",
                               fields={"events": unknown})
    return wanted


def create_subscriber(*, actor: User | None, name: str, url: str, events: Iterable[str],
                      area: Area, active: bool = True) -> tuple[Subscriber, str]:
    """A new subscriber and its signing secret — the only time the secret is handed out."""
    secret = signing.new_secret()
    with transaction.atomic():
        outbox.start_at_newest_if_idle(now=timezone.now())
        subscriber = Subscriber.objects.create(
            name=name.strip(), url=check_url(url), events=check_events(events), area=area,
            active=active, secret=personal.seal(secret), created_by=actor)
        audit.record(actor=actor, action="webhooks.subscriber.create",
                     target=f"webhooks.subscriber:{subscriber.pk}",
                     data={"name": subscriber.name, "url": subscriber.url,
                           "events": subscriber.events, "area": area.code})
    return subscriber, secret


def update_subscriber(*, actor: User | None, subscriber_id: int, name: str, url: str,
                      events: Iterable[str], area: Area, active: bool) -> Subscriber:
    with transaction.atomic():
        subscriber = Subscriber.objects.select_for_update().filter(pk=subscriber_id).first()
        if subscriber is None:
            raise NotFound("订阅方不存在。", code="webhook_subscriber_not_found")
        subscriber.name, subscriber.url = name.strip(), check_url(url)
        subscriber.events, subscriber.area = check_events(events), area
        if active != subscriber.active:  # what the worker still reads for it (outbox)
            subscriber.paused_at = None if active else timezone.now()
        subscriber.active = active
        subscriber.save()
        audit.record(actor=actor, action="webhooks.subscriber.change",
                     target=f"webhooks.subscriber:{subscriber.pk}",
                     data={"name": subscriber.name, "url": subscriber.url,
                           "events": subscriber.events, "area": area.code, "active": active})
    return subscriber


def rotate_secret(*, actor: User | None, subscriber_id: int) -> str:
    secret = signing.new_secret()
    with transaction.atomic():
        if not Subscriber.objects.filter(pk=subscriber_id).update(secret=personal.seal(secret)):
            raise NotFound("订阅方不存在。", code="webhook_subscriber_not_found")
        audit.record(actor=actor, action="webhooks.subscriber.rotate_secret",
                     target=f"webhooks.subscriber:{subscriber_id}")
    return secret


def retry_now(*, actor: User | None, delivery_ids: Iterable[int]) -> int:
    """Put failed or dead deliveries back in the queue for the next worker pass."""
    ids = list(delivery_ids)
    with transaction.atomic():
        count = Delivery.objects.filter(pk__in=ids).exclude(status=DeliveryStatus.SENT).update(
            status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=timezone.now())
        audit.record(actor=actor, action="webhooks.delivery.retry", target="webhooks.delivery",
                     data={"ids": ids[:100], "count": count})
    return count


def _covers(area_code: str, case_code: str) -> bool:
    return case_code.startswith(area_code)


def active_subscribers() -> list[Subscriber]:
    """Who may get deliveries (pk, events, area), cached across requests (``core.refcache``:
    every case event asks; a subscriber or area write reloads)."""
    return refcache.get("webhook_subscribers", lambda: list(
        Subscriber.objects.filter(active=True).select_related("area")
        .only("pk", "events", "area__code")))


def wanted(*, event: str, area_code: str) -> list[Subscriber]:
    """The active subscribers that want ``event`` in the case's area (cached: no query)."""
    return [s for s in active_subscribers() if event in s.events and _covers(s.area.code, area_code)]


def enqueue(*, event: str, event_id: str, payload: dict[str, Any], area_code: str,
            now: dt.datetime | None = None) -> int:
    """Queue one delivery per active subscriber that wants ``event`` in the case's area, for
    the worker's retry pass: events that are not on the case timeline (a deadline passed).

    Re-announcing the same event id queues nothing new (unique per subscriber and event).
    """
    now = now or timezone.now()
    subscribers = wanted(event=event, area_code=area_code)
    if not subscribers:
        return 0
    rows = [Delivery(subscriber_id=s.pk, uuid=delivery_id(s.pk, event_id), event_id=event_id,
                     event=event, payload=payload, next_attempt_at=now, created_at=now)
            for s in subscribers]
    rows_insert(rows, ignore_conflicts=True)  # one plain statement (core/rows.py)
    return len(rows)

