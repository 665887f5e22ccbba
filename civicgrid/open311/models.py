"""Open311 GeoReport v2 clients (other systems that file cases) and what they filed.

An API key is stored only as a keyed hash (HMAC-SHA256 with the site secret); the key itself
is shown once, when it is issued. A client is scoped to one area: it may file cases there only.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from civicgrid.areas.models import Area
from civicgrid.cases.models import Case


class Open311Client(models.Model):
    name = models.CharField("接入系统名称", max_length=64, unique=True)
    key_hash = models.CharField("密钥哈希", max_length=64, unique=True, editable=False)
    key_prefix = models.CharField("密钥前缀", max_length=8, editable=False)
    jurisdiction = models.ForeignKey(Area, verbose_name="辖区", on_delete=models.PROTECT,
                                     related_name="+")
    is_active = models.BooleanField("启用", default=True)
    revoked_at = models.DateTimeField("吊销时间", null=True, blank=True)
    rate_limit_per_minute = models.PositiveIntegerField("每分钟请求上限", default=60)
    # fixed one-minute window, counted in the database (shared by every app process)
    window_started_at = models.DateTimeField(null=True, blank=True, editable=False)
    window_count = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField("签发时间")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="签发人", null=True,
                                   blank=True, on_delete=models.PROTECT, related_name="+")
    last_used_at = models.DateTimeField("最近使用", null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "Open311 接入系统"
        verbose_name_plural = "Open311 接入系统"

    def __str__(self) -> str:
        return self.name

    @property
    def usable(self) -> bool:
        return self.is_active and self.revoked_at is None


class Open311Submission(models.Model):
    """One service request a client filed: the case, the token it may look it up by, and
    the client-side identifiers (kept here, never shown by GET)."""

    client = models.ForeignKey(Open311Client, on_delete=models.PROTECT, related_name="submissions")
    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="open311_submission")
    token = models.CharField(max_length=32, unique=True)
    account_id = models.CharField(max_length=64, blank=True)
    device_id = models.CharField(max_length=64, blank=True)
    email = models.TextField(blank=True)  # personal data: sealed (core.personal), never shown
    media_url = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "Open311 上报记录"
        verbose_name_plural = "Open311 上报记录"

    def __str__(self) -> str:
        return self.token
