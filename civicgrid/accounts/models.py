"""Users, org units (综治中心 / 职能部门), roles as data, and role grants scoped to an area."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils import timezone

from civicgrid.areas.models import GRID_CODE_LENGTH, Area


class OrgKind(models.TextChoices):
    CENTER = "center", "综治中心"
    DEPARTMENT = "department", "职能部门"


class DepartmentType(models.TextChoices):
    CHENGGUAN = "chengguan", "城市管理"
    ZHUJIAN = "zhujian", "住房和城乡建设"
    SHENGTAI = "shengtai", "生态环境"
    SHICHANG = "shichang", "市场监督管理"
    GONGAN = "gongan", "公安分局"
    YINGJI = "yingji", "应急管理"
    JIAOTONG = "jiaotong", "交通运输"
    WEIJIAN = "weijian", "卫生健康"
    MINZHENG = "minzheng", "民政"
    RENSHE = "renshe", "人力资源和社会保障"
    JIAOYU = "jiaoyu", "教育"
    SHUIWU = "shuiwu", "水务"
    ZIRAN = "ziran", "自然资源"
    SIFA = "sifa", "司法"
    XINFANG = "xinfang", "信访"
    GONGDIAN = "gongdian", "供电"
    GONGSHUI = "gongshui", "供水"
    RANQI = "ranqi", "燃气"
    OTHER = "other", "其他"


class OrgUnit(models.Model):
    code = models.SlugField("编码", max_length=64, unique=True)
    name = models.CharField("名称", max_length=100)
    kind = models.CharField("类型", max_length=16, choices=OrgKind.choices, db_index=True)
    area = models.ForeignKey(
        Area, verbose_name="所属区划", on_delete=models.PROTECT, related_name="org_units"
    )
    department_type = models.CharField(
        "部门类别", max_length=16, choices=DepartmentType.choices, blank=True
    )
    responsibilities = models.TextField("职责范围", blank=True)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        ordering = ["area__code", "kind", "name"]
        verbose_name = "组织机构"
        verbose_name_plural = "组织机构"
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="center", department_type="") | Q(kind="department") & ~Q(department_type=""),
                name="orgunit_department_has_type",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    display_name = models.CharField("姓名", max_length=64, blank=True)
    org_unit = models.ForeignKey(
        OrgUnit, verbose_name="所属机构", null=True, blank=True, on_delete=models.PROTECT,
        related_name="members",
    )
    password_changed_at = models.DateTimeField("密码修改时间", default=timezone.now)
    # set when someone else chose the password (an admin created or reset the account):
    # the user must replace it before doing anything else (等保: 首次登录修改初始密码)
    must_change_password = models.BooleanField("须修改初始密码", default=False)

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"

    def __str__(self) -> str:
        return self.display_name or self.username


class Role(models.Model):
    """A role of DESIGN.md §1. Which permissions it carries is data (``RolePermission``)."""

    code = models.SlugField("编码", max_length=32, unique=True)
    name = models.CharField("名称", max_length=64)
    is_admin_role = models.BooleanField("三员角色", default=False)
    description = models.TextField("说明", blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = "角色"
        verbose_name_plural = "角色"

    def __str__(self) -> str:
        return self.name


class RolePermission(models.Model):
    role = models.ForeignKey(Role, on_delete=models.CASCADE, related_name="permissions")
    permission = models.CharField("权限", max_length=64)

    class Meta:
        verbose_name = "角色权限"
        verbose_name_plural = "角色权限（矩阵）"
        constraints = [
            models.UniqueConstraint(fields=["role", "permission"], name="role_permission_unique")
        ]

    def __str__(self) -> str:
        return f"{self.role.code}:{self.permission}"


class RoleGrant(models.Model):
    """A role held by a user over exactly one scope: an area (and all below), a grid, or a department."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="grants")
    role = models.ForeignKey(Role, on_delete=models.PROTECT, related_name="grants")
    area = models.ForeignKey(Area, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    grid_code = models.CharField("网格编码", max_length=GRID_CODE_LENGTH, blank=True)
    org_unit = models.ForeignKey(
        OrgUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="grants"
    )
    granted_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    granted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "角色授权"
        verbose_name_plural = "角色授权"
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(area__isnull=False, grid_code="", org_unit__isnull=True)
                    | Q(area__isnull=True, org_unit__isnull=True) & ~Q(grid_code="")
                    | Q(area__isnull=True, grid_code="", org_unit__isnull=False)
                    | Q(area__isnull=True, grid_code="", org_unit__isnull=True)
                ),
                name="rolegrant_single_scope",
            ),
        ]

    def __str__(self) -> str:
        where = self.area or self.grid_code or self.org_unit or "全局"
        return f"{self.user} · {self.role} @ {where}"


class PasswordHistory(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="password_history")
    password = models.CharField(max_length=128)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.user_id}@{self.created_at:%Y-%m-%d}"
