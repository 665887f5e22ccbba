"""The in-app inbox (待办 / 消息) and the outbox of SMS / WeCom messages.

Rows are written after the case action committed (``receivers``); an outbound message is
delivered by the worker (``civicgrid tick``) with retries and backoff, never inside the
action. ``dedupe_key`` makes the rules idempotent: the same event never notifies twice.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from civicgrid.cases.models import Case


class Kind(models.TextChoices):
    TODO = "todo", "待办"
    MESSAGE = "message", "消息"


class Notification(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="接收人",
                             on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField("类型", max_length=8, choices=Kind.choices, default=Kind.MESSAGE)
    topic = models.CharField("事由", max_length=32)
    title = models.CharField("标题", max_length=120)
    body = models.TextField("内容", blank=True)
    case = models.ForeignKey(Case, verbose_name="事件", null=True, blank=True,
                             on_delete=models.CASCADE, related_name="+")
    dedupe_key = models.CharField("去重键", max_length=120, blank=True)
    created_at = models.DateTimeField("时间", db_index=True)
    read_at = models.DateTimeField("已读时间", null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "站内消息"
        verbose_name_plural = "站内消息"
        indexes = [models.Index(fields=["user", "read_at"], name="notification_user_unread")]
        constraints = [
            models.UniqueConstraint(fields=["user", "dedupe_key"], condition=~Q(dedupe_key=""),
                                    name="notification_dedupe"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.title}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class OutboundChannel(models.TextChoices):
    SMS = "sms", "短信"
    WECOM = "wecom", "企业微信"


class OutboundStatus(models.TextChoices):
    PENDING = "pending", "待发送"
    SENT = "sent", "已发送"
    FAILED = "failed", "发送失败"  # gave up after the last attempt


class OutboundMessage(models.Model):
    channel = models.CharField("渠道", max_length=8, choices=OutboundChannel.choices)
    recipient = models.CharField("接收地址", max_length=64)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="接收人", null=True,
                             blank=True, on_delete=models.SET_NULL, related_name="+")
    body = models.TextField("内容")
    case = models.ForeignKey(Case, verbose_name="事件", null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+")
    status = models.CharField("状态", max_length=8, choices=OutboundStatus.choices,
                              default=OutboundStatus.PENDING)
    attempts = models.PositiveIntegerField("已尝试次数", default=0)
    next_attempt_at = models.DateTimeField("下次尝试")
    last_error = models.TextField("最近错误", blank=True)
    sent_at = models.DateTimeField("发送时间", null=True, blank=True)
    created_at = models.DateTimeField("创建时间")
    dedupe_key = models.CharField("去重键", max_length=120, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "外发消息"
        verbose_name_plural = "外发消息"
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outbound_due")]
        constraints = [
            models.UniqueConstraint(fields=["channel", "recipient", "dedupe_key"],
                                    condition=~Q(dedupe_key=""), name="outbound_dedupe"),
        ]

    def __str__(self) -> str:
        return f"{self.channel}:{self.recipient}:{self.status}"
