"""The dispute rollups: one fact row per dispute and the sums of those facts (issue #6, KPIs).

``DisputeFact`` is what a dispute currently contributes (``facts.py``); ``DisputeRollup``
holds the sums per period (day, month, year) × area (cut to 6, 9, 12 and 15 digits) ×
current mediation level × dispute type × current mediator. Only ``civicgrid.mediation.rollups``
writes these tables, in the same transaction as the dispute's timeline entry.
Imported by ``models.py`` (Django finds the app's models there).
"""

from __future__ import annotations

from django.db import models

# 排查数, 受理数, 调解成功数, 按期化解, went up (at least once) and, per level, accepted there /
# settled there / sent up from there
LEVELS = ("village", "township", "county")
MEASURES = ("screened", "accepted", "resolved", "resolved_on_time", "escalated",
            *(f"{kind}_{lv}" for kind in ("accepted", "resolved", "escalated") for lv in LEVELS))


class DisputeFact(models.Model):
    """What one dispute adds to the rollups now (``created_day``: local calendar day)."""

    dispute_id = models.BigIntegerField(primary_key=True)
    area = models.CharField(max_length=15)
    created_day = models.DateField()
    start_level = models.CharField(max_length=10)
    level = models.CharField(max_length=10)
    dispute_type = models.CharField(max_length=16)
    mediator_id = models.BigIntegerField(default=0)  # 0: none
    accepted = models.BooleanField(default=False)
    resolved = models.BooleanField(default=False)
    resolved_on_time = models.BooleanField(default=False)

    class Meta:
        verbose_name = "纠纷统计事实"
        verbose_name_plural = "纠纷统计事实"

    def __str__(self) -> str:
        return f"dispute {self.dispute_id}"


class DisputeRollup(models.Model):
    """Sums of dispute facts. ``grain``: d = day, m = month (period = the 1st), y = year
    (period = 1 January). ``area_level``: the area cut to that many digits (a dispute placed
    only at a township keeps its 9 digits at levels 12 and 15)."""

    grain = models.CharField(max_length=1)
    period = models.DateField()
    area_level = models.PositiveSmallIntegerField()
    area = models.CharField(max_length=15)
    level = models.CharField(max_length=10)
    dispute_type = models.CharField(max_length=16)
    mediator_id = models.BigIntegerField(default=0)
    screened = models.BigIntegerField(default=0)
    accepted = models.BigIntegerField(default=0)
    resolved = models.BigIntegerField(default=0)
    resolved_on_time = models.BigIntegerField(default=0)
    escalated = models.BigIntegerField(default=0)
    accepted_village = models.BigIntegerField(default=0)
    accepted_township = models.BigIntegerField(default=0)
    accepted_county = models.BigIntegerField(default=0)
    resolved_village = models.BigIntegerField(default=0)
    resolved_township = models.BigIntegerField(default=0)
    resolved_county = models.BigIntegerField(default=0)
    escalated_village = models.BigIntegerField(default=0)
    escalated_township = models.BigIntegerField(default=0)
    escalated_county = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = "纠纷统计汇总"
        verbose_name_plural = "纠纷统计汇总"
        constraints = [
            models.UniqueConstraint(
                fields=["grain", "period", "area_level", "area", "level", "dispute_type",
                        "mediator_id"], name="dispute_rollup_key"),
        ]
        indexes = [models.Index(fields=["area_level", "grain", "period"],
                                name="dispute_rollup_scan")]

    def __str__(self) -> str:
        return f"{self.grain}/{self.period}/{self.area}"
