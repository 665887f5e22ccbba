"""Command-centre tables: one fact row per case, the rollups folded from them, the fold state.

``CaseFact`` is what a case currently contributes (derived from the case row only, see
``facts.py``); ``Rollup`` holds the sums of those contributions per period, area and cut
(``cuts.py``); ``FoldState`` is the worker's watermark over ``cases.CaseEvent`` with the id
ranges it has not seen yet. Only ``civicgrid.stats.rollups`` writes these tables.
"""

from __future__ import annotations

from django.db import models

MEASURES = ("received", "registered", "handled", "reworked", "closed", "closed_on_time",
            "verified_on_time", "handle_seconds", "handle_count", "rated", "satisfied", "open")


class CaseFact(models.Model):
    """What one case adds to the rollups now (days are local calendar days)."""

    case_id = models.BigIntegerField(primary_key=True)
    area = models.CharField(max_length=15)
    category_id = models.IntegerField(default=0)  # 0: none
    channel = models.CharField(max_length=16)
    department_id = models.IntegerField(default=0)  # the active lead department; 0: none
    created_day = models.DateField()
    registered_day = models.DateField(null=True)
    handled_day = models.DateField(null=True)
    reworked = models.BooleanField(default=False)
    closed_day = models.DateField(null=True)  # only for state "closed" (结案)
    closed_on_time = models.BooleanField(default=False)
    verified_on_time = models.BooleanField(default=False)
    handle_seconds = models.BigIntegerField(default=0)
    handle_count = models.SmallIntegerField(default=0)
    rated = models.BooleanField(default=False)
    satisfied = models.BooleanField(default=False)
    open_due_day = models.DateField(null=True)  # open cases only; NO_DUE when without deadline

    class Meta:
        verbose_name = "事件统计事实"
        verbose_name_plural = "事件统计事实"

    def __str__(self) -> str:
        return f"case {self.case_id}"


class Rollup(models.Model):
    """Sums of case facts. ``grain``: d = day, m = month (period = the 1st), o = open cases by
    the day their deadline falls on. ``cut`` names the dimensions kept (``cuts.CUTS``); a
    dimension not kept is stored as 0 / ''."""

    cut = models.CharField(max_length=2)
    grain = models.CharField(max_length=1)
    level = models.PositiveSmallIntegerField()  # length of ``area``
    period = models.DateField()
    area = models.CharField(max_length=15)
    category_id = models.IntegerField(default=0)
    channel = models.CharField(max_length=16, default="")
    department_id = models.IntegerField(default=0)
    received = models.BigIntegerField(default=0)
    registered = models.BigIntegerField(default=0)
    handled = models.BigIntegerField(default=0)
    reworked = models.BigIntegerField(default=0)
    closed = models.BigIntegerField(default=0)
    closed_on_time = models.BigIntegerField(default=0)
    verified_on_time = models.BigIntegerField(default=0)
    handle_seconds = models.BigIntegerField(default=0)
    handle_count = models.BigIntegerField(default=0)
    rated = models.BigIntegerField(default=0)
    satisfied = models.BigIntegerField(default=0)
    open = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = "统计汇总"
        verbose_name_plural = "统计汇总"
        constraints = [
            models.UniqueConstraint(
                fields=["cut", "grain", "period", "area", "category_id", "channel", "department_id"],
                name="stats_rollup_key"),
        ]
        indexes = [models.Index(fields=["cut", "level", "grain", "period"], name="stats_rollup_scan")]

    def __str__(self) -> str:
        return f"{self.cut}/{self.grain}/{self.period}/{self.area}"


class FoldState(models.Model):
    """The fold worker's position in ``cases.CaseEvent``: every id ≤ ``watermark`` was folded
    except those in ``gaps`` ([low, high, first noticed (epoch s)]), re-read on every pass
    until they appear or are older than the gap horizon (rolled back)."""

    name = models.CharField(max_length=32, unique=True)
    watermark = models.BigIntegerField(default=0)
    gaps = models.JSONField(default=list)
    folded_at = models.DateTimeField(null=True)
    rebuilt_at = models.DateTimeField(null=True)

    class Meta:
        verbose_name = "汇总进度"
        verbose_name_plural = "汇总进度"

    def __str__(self) -> str:
        return f"{self.name}@{self.watermark}"


class AssessedUnit(models.TextChoices):
    TOWNSHIP = "township", "乡镇（街道）"
    DEPARTMENT = "department", "职能部门"


class AssessmentScheme(models.Model):
    """考核方案: which KPIs count, with what weight and target, for townships or departments."""

    name = models.CharField("名称", max_length=100)
    unit = models.CharField("考核对象", max_length=12, choices=AssessedUnit.choices)
    period = models.CharField("考核周期", max_length=8, default="month",
                              choices=[("month", "月"), ("quarter", "季"), ("year", "年")])
    is_active = models.BooleanField("启用", default=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        ordering = ["unit", "name"]
        verbose_name = "考核方案"
        verbose_name_plural = "考核方案"

    def __str__(self) -> str:
        return self.name


class AssessmentIndicator(models.Model):
    scheme = models.ForeignKey(AssessmentScheme, on_delete=models.CASCADE, related_name="indicators")
    kpi = models.CharField("指标", max_length=40)
    weight = models.DecimalField("权重(分)", max_digits=6, decimal_places=2)
    target = models.FloatField("目标值（比率填小数，如 0.9）")
    sort = models.PositiveSmallIntegerField("排序", default=0)

    class Meta:
        ordering = ["scheme", "sort", "id"]
        verbose_name = "考核指标"
        verbose_name_plural = "考核指标"
        constraints = [models.UniqueConstraint(fields=["scheme", "kpi"], name="assessment_indicator_once")]

    def __str__(self) -> str:
        return f"{self.scheme_id}:{self.kpi}"


class PublishedAssessment(models.Model):
    """A published score table, frozen: later data changes never alter it."""

    scheme = models.ForeignKey(AssessmentScheme, on_delete=models.PROTECT, related_name="published")
    scope = models.CharField("范围（区划代码前缀）", max_length=15, blank=True)
    period_start = models.DateField("期间开始")
    period_end = models.DateField("期间结束")
    table = models.JSONField("成绩表")
    published_at = models.DateTimeField("发布时间")
    published_by = models.ForeignKey("accounts.User", null=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-period_start", "-id"]
        verbose_name = "已发布考核"
        verbose_name_plural = "已发布考核"
        constraints = [models.UniqueConstraint(fields=["scheme", "scope", "period_start", "period_end"],
                                               name="assessment_published_once")]

    def __str__(self) -> str:
        return f"{self.scheme} {self.period_start}—{self.period_end}"
