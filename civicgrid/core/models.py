"""Core models: the append-only, hash-chained audit log (等保 2.0)."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class AppendOnlyError(RuntimeError):
    pass


class AppendOnly(models.Model):
    """A record written once and never changed or deleted through the ORM: the audit log and
    the timelines of cases and disputes (DESIGN.md §6). ``append_only_name`` names it in the
    error."""

    append_only_name = "记录"

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if not self._state.adding:
            raise AppendOnlyError(f"{self.append_only_name}只能追加，不能修改。")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise AppendOnlyError(f"{self.append_only_name}只能追加，不能删除。")


class AuditEntry(AppendOnly):
    """One audited action. Rows are never updated or deleted; each row hashes the previous one."""

    append_only_name = "审计日志"

    seq = models.PositiveBigIntegerField("序号", unique=True)
    at = models.DateTimeField("时间", db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="操作人", null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    actor_name = models.CharField("操作人账号", max_length=150, blank=True)
    action = models.CharField("动作", max_length=64, db_index=True)
    target = models.CharField("对象", max_length=200, blank=True)
    data = models.JSONField("内容", default=dict, blank=True)
    ip = models.CharField("来源地址", max_length=64, blank=True)
    prev_hash = models.CharField("前一条哈希", max_length=64)
    hash = models.CharField("本条哈希", max_length=64)

    class Meta:
        ordering = ["-seq"]
        verbose_name = "审计日志"
        verbose_name_plural = "审计日志"

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.target}"



class CalendarDay(models.Model):
    """An official override of the statutory calendar: next year's notice, or local 调休.

    Rows here win over the ``chinese_calendar`` package's data (``civicgrid load-holidays``).
    """

    date = models.DateField("日期", unique=True)
    is_workday = models.BooleanField("是否工作日")
    name = models.CharField("说明", max_length=64, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = "节假日调整"
        verbose_name_plural = "节假日调整"

    def __str__(self) -> str:
        return f"{self.date} {'班' if self.is_workday else '休'}"


class CacheVersion(models.Model):
    """A token that changes whenever cached reference data changes (``core.refcache``).

    Every process keeps grants, categories, deadline policies and centres in memory and
    compares its token with the stored one at most every few seconds; a write anywhere stores
    a new random token, so every process reloads.
    """

    name = models.CharField(max_length=32, primary_key=True)
    token = models.CharField(max_length=32)

    class Meta:
        verbose_name = "缓存版本"

    def __str__(self) -> str:
        return f"{self.name}: {self.token}"
