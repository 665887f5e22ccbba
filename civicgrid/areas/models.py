"""Administrative areas (统计用区划代码), grids (网格) and household groups (十联户).

Codes are hierarchical: a descendant's code starts with its ancestor's code (province 2,
city 4, county 6, township 9, village 12 digits; grid = village code + 3 digits). Scoping
by area is therefore a prefix match on ``code``, which is indexed on every database.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q


class AreaLevel(models.TextChoices):
    PROVINCE = "province", "省"
    CITY = "city", "市"
    COUNTY = "county", "县/区"
    TOWNSHIP = "township", "乡镇/街道"
    VILLAGE = "village", "村/社区"


CODE_LENGTH = {
    AreaLevel.PROVINCE: 2,
    AreaLevel.CITY: 4,
    AreaLevel.COUNTY: 6,
    AreaLevel.TOWNSHIP: 9,
    AreaLevel.VILLAGE: 12,
}
LEVEL_BY_LENGTH = {length: level for level, length in CODE_LENGTH.items()}
LEVEL_ORDER = list(CODE_LENGTH)
GRID_CODE_LENGTH = 15


class Area(models.Model):
    code = models.CharField(
        "区划代码", max_length=12, unique=True,
        validators=[RegexValidator(r"^(\d{2}|\d{4}|\d{6}|\d{9}|\d{12})$", "区划代码应为2/4/6/9/12位数字")],
    )
    name = models.CharField("名称", max_length=100)
    level = models.CharField("层级", max_length=10, choices=AreaLevel.choices, db_index=True)
    parent = models.ForeignKey(
        "self", verbose_name="上级", null=True, blank=True, on_delete=models.PROTECT,
        related_name="children",
    )
    boundary = models.JSONField("边界(GeoJSON, WGS-84)", null=True, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = "行政区划"
        verbose_name_plural = "行政区划"

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    @property
    def level_index(self) -> int:
        return LEVEL_ORDER.index(AreaLevel(self.level))

    def ancestor_codes(self) -> list[str]:
        """Codes of every ancestor, outermost first (derived from the code itself)."""
        lengths = [n for n in CODE_LENGTH.values() if n < len(self.code)]
        return [self.code[:n] for n in lengths]


class GridQuerySet(models.QuerySet["Grid"]):
    def current(self) -> GridQuerySet:
        return self.filter(valid_to__isnull=True)

    def valid_at(self, when) -> GridQuerySet:  # type: ignore[no-untyped-def]
        return self.filter(valid_from__lte=when).filter(Q(valid_to__isnull=True) | Q(valid_to__gt=when))


class Grid(models.Model):
    """One version of a grid polygon. A redraw closes this version (valid_to) and adds a new one."""

    code = models.CharField(
        "网格编码", max_length=GRID_CODE_LENGTH, db_index=True,
        validators=[RegexValidator(r"^\d{15}$", "网格编码应为15位数字（12位村/社区代码+3位序号）")],
    )
    name = models.CharField("名称", max_length=100)
    village = models.ForeignKey(
        Area, verbose_name="所属村/社区", on_delete=models.PROTECT, related_name="grids",
        limit_choices_to={"level": AreaLevel.VILLAGE},
    )
    geometry = models.JSONField("边界(GeoJSON, WGS-84)")
    centroid_lng = models.FloatField("中心经度")
    centroid_lat = models.FloatField("中心纬度")
    min_lng = models.FloatField()
    min_lat = models.FloatField()
    max_lng = models.FloatField()
    max_lat = models.FloatField()
    valid_from = models.DateTimeField("生效时间")
    valid_to = models.DateTimeField("失效时间", null=True, blank=True, db_index=True)

    objects = GridQuerySet.as_manager()

    class Meta:
        ordering = ["code", "-valid_from"]
        verbose_name = "网格"
        verbose_name_plural = "网格"
        constraints = [
            models.UniqueConstraint(
                fields=["code"], condition=Q(valid_to__isnull=True), name="grid_one_current_version"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    @property
    def is_current(self) -> bool:
        return self.valid_to is None


class HouseholdGroup(models.Model):
    """十联户: 10–15 neighbouring households under a household head (联户长), inside one grid."""

    MIN_HOUSEHOLDS = 10
    MAX_HOUSEHOLDS = 15

    grid_code = models.CharField("网格编码", max_length=GRID_CODE_LENGTH, db_index=True)
    name = models.CharField("名称", max_length=100)
    head = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="联户长", null=True, blank=True,
        on_delete=models.SET_NULL, related_name="household_groups",
    )
    household_count = models.PositiveSmallIntegerField(
        "户数", validators=[MinValueValidator(MIN_HOUSEHOLDS), MaxValueValidator(MAX_HOUSEHOLDS)]
    )

    class Meta:
        ordering = ["grid_code", "name"]
        verbose_name = "联户组"
        verbose_name_plural = "联户组"

    def __str__(self) -> str:
        return self.name


class GridIndexVersion(models.Model):
    """A counter bumped whenever grids change, so every process knows to rebuild its index."""

    version = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = "网格索引版本"

    def __str__(self) -> str:
        return str(self.version)
