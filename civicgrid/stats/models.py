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
