"""Every write of the notifications app: store notices, mark them read.

``notify`` runs after the case action committed (never inside it) and is idempotent through
``dedupe_key``: the same event or overdue mark never notifies anyone twice. Delivery of the
outbound messages is ``outbox.deliver_due``.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation

from civicgrid.accounts.models import User
from civicgrid.cases.models import Case
from civicgrid.core.errors import NotFound
from civicgrid.notifications import senders
from civicgrid.notifications.models import (
    Notification,
    OutboundChannel,
    OutboundMessage,
)
from civicgrid.notifications.rules import Notice


def notify(*, case: Case | None, topic: str, dedupe_key: str, notices: Sequence[Notice],
           exclude: User | None = None) -> list[str]:
    """Store the inbox rows and queue the outbound messages; returns the outbox keys queued."""
    now = timezone.now()
    inbox: list[Notification] = []
    outbox: list[OutboundMessage] = []
    seen: set[int] = set()
    sms_on, wecom_on = senders.enabled(OutboundChannel.SMS), senders.enabled(OutboundChannel.WECOM)
    for notice in notices:
        text = f"{notice.title}\n{notice.body}".strip()
        for user in notice.users:
            if (exclude is not None and user.pk == exclude.pk) or user.pk in seen:
                continue
            seen.add(user.pk)
            inbox.append(Notification(user=user, kind=notice.kind, topic=topic,
                                      title=notice.title[:120], body=notice.body, case=case,
                                      dedupe_key=dedupe_key[:120], created_at=now))
            if wecom_on:
                outbox.append(_outbound(OutboundChannel.WECOM, user.username, text, user, case,
                                        dedupe_key, now))
        if sms_on:
            for phone in dict.fromkeys(notice.phones):
                outbox.append(_outbound(OutboundChannel.SMS, phone, text, None, case, dedupe_key,
                                        now))
    if inbox and outbox:
        with transaction.atomic():
            Notification.objects.bulk_create(inbox, ignore_conflicts=True)
            OutboundMessage.objects.bulk_create(outbox, ignore_conflicts=True)
    elif inbox or outbox:  # one statement: no transaction of its own needed
        Notification.objects.bulk_create(inbox, ignore_conflicts=True)
        OutboundMessage.objects.bulk_create(outbox, ignore_conflicts=True)
    return [dedupe_key[:120]] if outbox else []


def _outbound(channel: str, recipient: str, body: str, user: User | None, case: Case | None,
              dedupe_key: str, now) -> OutboundMessage:  # type: ignore[no-untyped-def]
    return OutboundMessage(channel=channel, recipient=recipient[:64], user=user, body=body,
                           case=case, next_attempt_at=now, created_at=now,
                           dedupe_key=dedupe_key[:120])


def site_language() -> translation.override:
    """Stored texts are in the site's language, whoever's request triggered them."""
    return translation.override(settings.LANGUAGE_CODE)


def mark_read(*, actor: User, notification_id: int) -> Notification:
    with transaction.atomic():
        item = (Notification.objects.select_for_update()
                .filter(pk=notification_id, user_id=actor.pk).first())
        if item is None:  # someone else's: the same answer as a missing one
            raise NotFound("消息不存在。", code="notification_not_found")
        if item.read_at is None:
            item.read_at = timezone.now()
            item.save(update_fields=["read_at"])
    return item


def mark_all_read(*, actor: User) -> int:
    return Notification.objects.filter(user_id=actor.pk, read_at__isnull=True).update(
        read_at=timezone.now())
