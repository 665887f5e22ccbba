"""Outbound webhooks: who wants which case events (``Subscriber``), each signed POST
(``Delivery``) with its retry state, and the worker's position in the case timeline
(``Cursor``). Tables only; ``services``, ``outbox`` and ``delivery`` write them."""

from __future__ import annotations

import uuid
from functools import cached_property

from django.conf import settings
from django.db import models

from civicgrid.core import personal


class Event(models.TextChoices):
    CASE_CREATED = "case.created", "事件上报"
    CASE_STATE_CHANGED = "case.state_changed", "状态变化"
    CASE_DEADLINE_PASSED = "case.deadline_passed", "超过时限"


class Subscriber(models.Model):
    """A client system (a 12345 hotline system, a mini-program backend) that wants events.
    Its signing secret is stored sealed (``core.personal.seal``, AES-GCM under the deployment's
    key): a copy of the database alone does not let anybody sign events as civicgrid."""

    name = models.CharField("名称", max_length=64, unique=True)
    url = models.URLField("推送地址", max_length=500)
    secret = models.CharField("签名密钥", max_length=128, editable=False)
    events = models.JSONField("订阅事件", default=list)
    area = models.ForeignKey("areas.Area", verbose_name="辖区", on_delete=models.PROTECT,
                             related_name="+",
                             help_text="只推送该区划（含下级）内的事件")
    active = models.BooleanField("启用", default=True)
    # when it was switched off (cleared when switched on): events before this moment that
    # the worker reads later still queue for it and wait; later ones are not for it
    paused_at = models.DateTimeField("停用时间", null=True, blank=True, editable=False)
    failing_since = models.DateTimeField("推送失败起始", null=True, blank=True, db_index=True)
    last_success_at = models.DateTimeField("最近成功推送", null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="创建人", null=True,
                                   blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "推送订阅方"
        verbose_name_plural = "推送订阅方"

    def __str__(self) -> str:
        return self.name

    @cached_property
    def signing_secret(self) -> str:
        """The secret in clear, to sign with (opened once per loaded row)."""
        return personal.unseal(self.secret)


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "待推送"
    FAILED = "failed", "失败待重试"
    SENT = "sent", "已送达"
    DEAD = "dead", "放弃"


class Delivery(models.Model):
    """One event for one subscriber: written by the worker with the result of its first POST
    (case events, read from the timeline) or queued before it (deadline-passed events, an
    admin's 重新推送); ``failed`` and ``pending`` rows are what the retry pass sends.

    Indexes are kept to what the worker asks (docs/adr/0008-webhooks-from-the-timeline.md):
    the unique (subscriber, event id) also serves a subscriber's rows, the due index holds
    only the open rows, the dead index only the dead ones, and ``uuid`` — derived from
    subscriber and event id — needs none."""

    subscriber = models.ForeignKey(Subscriber, verbose_name="订阅方", on_delete=models.CASCADE,
                                   related_name="deliveries", db_index=False)
    uuid = models.UUIDField("投递编号", default=uuid.uuid4, editable=False)
    event_id = models.CharField("事件编号", max_length=64)
    event = models.CharField("事件类型", max_length=32, choices=Event.choices)
    payload = models.JSONField("内容")
    status = models.CharField("状态", max_length=8, choices=DeliveryStatus.choices,
                              default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField("尝试次数", default=0)
    next_attempt_at = models.DateTimeField("下次尝试")
    last_status_code = models.PositiveSmallIntegerField("最近响应码", null=True, blank=True)
    last_error = models.TextField("最近错误", blank=True)
    sent_at = models.DateTimeField("送达时间", null=True, blank=True)
    created_at = models.DateTimeField("创建时间")
    # the worker pass holding the delivery, and until when (renewed while it works; once past,
    # another worker may take it over — docs/webhooks.md, "Running the worker")
    claim_token = models.UUIDField("领取标记", null=True, blank=True, editable=False)
    claimed_until = models.DateTimeField("领取有效至", null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-id"]
        verbose_name = "推送记录"
        verbose_name_plural = "推送记录"
        constraints = [
            models.UniqueConstraint(fields=["subscriber", "event_id"],
                                    name="webhooks_delivery_once_per_event"),
        ]
        indexes = [models.Index(fields=["next_attempt_at"], name="webhooks_delivery_open",
                                condition=models.Q(status__in=["pending", "failed"])),
                   # the admin's dead deliveries per subscriber (few rows: no cost to the rest)
                   models.Index(fields=["subscriber"], name="webhooks_delivery_dead",
                                condition=models.Q(status="dead"))]

    def __str__(self) -> str:
        return f"{self.event} → {self.subscriber_id} ({self.status})"


class Cursor(models.Model):
    """The worker's position in ``cases.CaseEvent`` (the outbox): every entry with an id ≤
    ``watermark`` was looked at, except the ids in ``gaps`` ([low, high, first noticed (epoch
    s)]: not committed yet when read, or rolled back), which each pass reads again until they
    appear or are older than ``WEBHOOK_GAP_SECONDS``. One worker pass at a time holds it
    (``claim_token`` until ``claimed_until``, renewed while it sends)."""

    name = models.CharField(max_length=32, unique=True)
    watermark = models.BigIntegerField(default=0)
    gaps = models.JSONField(default=list)
    claim_token = models.UUIDField(null=True, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    moved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "推送进度"
        verbose_name_plural = "推送进度"

    def __str__(self) -> str:
        return f"{self.name}@{self.watermark}"
