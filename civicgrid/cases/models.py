"""The case closed loop (DESIGN.md §3): categories, cases, assignments, the timeline.

State changes happen only in ``civicgrid.cases.workflow`` (one transition table, one
function). ``CaseEvent`` rows are the append-only timeline: audit trail, SLA figures and KPIs
are computed from them and from the stored deadlines, never from memory.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from civicgrid.accounts.models import DepartmentType, OrgUnit
from civicgrid.areas.models import Grid
from civicgrid.core.models import AppendOnly
from civicgrid.core.personal import unseal


class Urgency(models.TextChoices):
    NORMAL = "normal", "一般"
    URGENT = "urgent", "紧急"
    CRITICAL = "critical", "特急"


class Channel(models.TextChoices):
    GRID = "grid", "网格员上报"
    HOUSEHOLD = "household", "联户长上报"
    HOTLINE = "hotline", "12345热线"
    PORTAL = "portal", "群众随手拍"
    SENSOR = "sensor", "视频/感知告警"
    WALKIN = "walkin", "来访"
    OPEN311 = "open311", "Open311"
    IMPORT = "import", "批量导入"


class State(models.TextChoices):
    REPORTED = "reported", "待受理"
    REGISTERED = "registered", "已立案"
    DISPATCHED = "dispatched", "已派遣"
    IN_PROGRESS = "in_progress", "处置中"
    HANDLED = "handled", "已处置"
    CLOSED = "closed", "已结案"
    REJECTED = "rejected", "不予立案"
    MERGED = "merged", "已合并"


OPEN_STATES = frozenset({State.REPORTED, State.REGISTERED, State.DISPATCHED, State.IN_PROGRESS,
                         State.HANDLED})
CLOSED_STATES = frozenset({State.CLOSED, State.REJECTED, State.MERGED})


class Stage(models.TextChoices):
    """The deadline each open state runs against."""

    ACCEPT = "accept", "受理"
    DISPATCH = "dispatch", "派遣"
    SIGN = "sign", "签收"
    HANDLE = "handle", "处置"
    VERIFY = "verify", "核查"


STAGE_OF_STATE = {
    State.REPORTED: Stage.ACCEPT,
    State.REGISTERED: Stage.DISPATCH,
    State.DISPATCHED: Stage.SIGN,
    State.IN_PROGRESS: Stage.HANDLE,
    State.HANDLED: Stage.VERIFY,
}


class Category(models.Model):
    """事项分类: 大类 (parent is null) → 小类. Cases are filed under a 小类."""

    code = models.SlugField("编码", max_length=32, unique=True)
    name = models.CharField("名称", max_length=64)
    parent = models.ForeignKey("self", verbose_name="大类", null=True, blank=True,
                               on_delete=models.PROTECT, related_name="children")
    department_type = models.CharField("默认主办部门", max_length=16,
                                       choices=DepartmentType.choices, blank=True)
    urgency = models.CharField("默认紧急程度", max_length=10, choices=Urgency.choices,
                               default=Urgency.NORMAL)
    duplicate_radius_m = models.PositiveIntegerField("疑似重复半径(米)", default=250)
    is_public = models.BooleanField("群众可选", default=True)
    is_dispute = models.BooleanField("矛盾纠纷类", default=False)
    is_active = models.BooleanField("启用", default=True)
    sort = models.PositiveIntegerField("排序", default=0)

    class Meta:
        ordering = ["sort", "code"]
        verbose_name = "事项分类"
        verbose_name_plural = "事项分类"

    def __str__(self) -> str:
        return f"{self.parent.name}/{self.name}" if self.parent_id and self.parent else self.name


class Case(models.Model):
    code = models.CharField("案卷编号", max_length=16)  # unique: Meta.constraints
    channel = models.CharField("来源渠道", max_length=16, choices=Channel.choices)
    channel_detail = models.CharField("渠道说明", max_length=64, blank=True)
    source_ref = models.CharField("来源系统编号", max_length=64, blank=True)
    category = models.ForeignKey(Category, verbose_name="事项分类", null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="cases",
                                 db_index=False)  # case_category_lat leads with it
    urgency = models.CharField("紧急程度", max_length=10, choices=Urgency.choices,
                               default=Urgency.NORMAL)
    title = models.CharField("标题", max_length=120)
    description = models.TextField("问题描述")
    address = models.CharField("地址", max_length=200, blank=True)
    lng = models.FloatField("经度(WGS-84)", null=True, blank=True)
    lat = models.FloatField("纬度(WGS-84)", null=True, blank=True)
    # no index of its own: a case in a grid has that grid's code as ``area_code`` (indexed), and
    # cases are found by grid through it; grids are versioned, never deleted (no key check)
    grid = models.ForeignKey(Grid, verbose_name="网格(当时版本)", null=True, blank=True,
                             on_delete=models.PROTECT, related_name="cases", db_index=False)
    # The most specific known code: the grid's 15 digits, else the village/township code.
    # Scope is a prefix match on it (docs/adr/0001).
    area_code = models.CharField("区划/网格编码", max_length=15, db_index=True)
    owner = models.ForeignKey(OrgUnit, verbose_name="承办中心", on_delete=models.PROTECT,
                              related_name="owned_cases", db_index=False)  # case_owner_state leads
    state = models.CharField("状态", max_length=12, choices=State.choices,
                             default=State.REPORTED)  # case_state_due leads with it
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="上报人", null=True,
                                 blank=True, on_delete=models.PROTECT, related_name="reported_cases",
                                 db_index=False)  # case_reporter: the rows that have one
    reporter_name = models.CharField("反映人", max_length=64, blank=True)
    # personal data (DESIGN.md §5): encrypted at rest (core.personal.seal), shown masked,
    # found by exact number through the keyed hash (the hotline's "this caller's cases")
    reporter_phone = models.TextField("联系电话（加密）", blank=True)
    reporter_phone_hash = models.CharField("联系电话检索哈希", max_length=64, blank=True)
    anonymous = models.BooleanField("匿名", default=False)
    on_the_spot = models.BooleanField("即报即办", default=False)
    merged_into = models.ForeignKey("self", verbose_name="合并至", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="merged_cases",
                                    db_index=False)  # case_merged_into: the rows that have one
    created_at = models.DateTimeField("上报时间", db_index=True)
    registered_at = models.DateTimeField("立案时间", null=True, blank=True)
    dispatched_at = models.DateTimeField("派遣时间", null=True, blank=True)
    handled_at = models.DateTimeField("处置时间", null=True, blank=True)
    closed_at = models.DateTimeField("结案时间", null=True, blank=True)  # case_closed_at
    stage_started_at = models.DateTimeField("本环节开始")
    due_at = models.DateTimeField("本环节时限", null=True, blank=True, db_index=True)
    handle_due_at = models.DateTimeField("处置时限", null=True, blank=True)
    overdue_marked_at = models.DateTimeField("超期标记时间", null=True, blank=True)
    closed_on_time = models.BooleanField("按期结案", null=True, blank=True)
    rework_count = models.PositiveIntegerField("返工次数", default=0)
    reopen_count = models.PositiveIntegerField("重新办理次数", default=0)
    escalation_count = models.PositiveIntegerField("上报次数", default=0)
    supervise_level = models.PositiveSmallIntegerField("督办级别", default=0)
    satisfaction = models.PositiveSmallIntegerField("满意度", null=True, blank=True)
    result = models.TextField("处置结果", blank=True)
    version = models.PositiveIntegerField("版本", default=0)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "事件"
        verbose_name_plural = "事件"
        # Every index is paid for by every report, import row and action (PostgreSQL also
        # adds a ``varchar_pattern_ops`` twin to each indexed or unique CharField): only those
        # a query uses. Prefix matches (LIKE) are only ever on area_code.
        constraints = [models.UniqueConstraint(fields=["code"], name="case_code_unique")]
        indexes = [
            models.Index(fields=["source_ref"], name="case_source_ref"),  # import upserts
            models.Index(fields=["state", "due_at"], name="case_state_due"),
            models.Index(fields=["owner", "state"], name="case_owner_state"),
            # the duplicate search of every report: same category, a latitude band
            models.Index(fields=["category", "lat"], name="case_category_lat"),
            # nearly every case has no merge target, and no imported or hotline case a reporter
            # account: their NULLs are not indexed (``reporter_id = …`` / ``IN`` queries, the
            # resident's own cases and the key checks of a deleted user or case still use these)
            models.Index(fields=["reporter"], name="case_reporter",
                         condition=models.Q(reporter__isnull=False)),
            models.Index(fields=["merged_into"], name="case_merged_into",
                         condition=models.Q(merged_into__isnull=False)),
            # only closed cases have a closing time, and every query on it is for closed cases
            # (a range, or the closed list's order with ``closed_at__isnull=False``)
            models.Index(fields=["closed_at"], name="case_closed_at",
                         condition=models.Q(closed_at__isnull=False)),
            models.Index(fields=["reporter_phone_hash"], name="case_reporter_phone_hash",
                         condition=~models.Q(reporter_phone_hash="")),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @property
    def reporter_phone_plain(self) -> str:
        """The reporter's phone in clear, for code that must use it (an SMS to the reporter);
        screens show ``mask_phone`` of it."""
        return unseal(self.reporter_phone)

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def stage(self) -> str | None:
        return STAGE_OF_STATE.get(State(self.state))


class AssignmentRole(models.TextChoices):
    LEAD = "lead", "主办"
    CO = "co", "协办"


class AssignmentState(models.TextChoices):
    DISPATCHED = "dispatched", "待签收"
    SIGNED = "signed", "处置中"
    HANDLED = "handled", "已处置"
    RETURNED = "returned", "已退回"
    CANCELLED = "cancelled", "已撤销"


class Assignment(models.Model):
    """派遣单: one department's part of a case, with its own deadlines."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="assignments")
    department = models.ForeignKey(OrgUnit, verbose_name="部门", on_delete=models.PROTECT,
                                   related_name="assignments")
    role = models.CharField("角色", max_length=8, choices=AssignmentRole.choices)
    state = models.CharField("状态", max_length=12, choices=AssignmentState.choices,
                             default=AssignmentState.DISPATCHED, db_index=True)
    dispatched_at = models.DateTimeField("派遣时间")
    sign_due_at = models.DateTimeField("签收时限", null=True, blank=True)
    handle_due_at = models.DateTimeField("处置时限", null=True, blank=True)
    signed_at = models.DateTimeField("签收时间", null=True, blank=True)
    handled_at = models.DateTimeField("处置时间", null=True, blank=True)
    result = models.TextField("处置结果", blank=True)
    overdue_marked_at = models.DateTimeField("超期标记时间", null=True, blank=True)

    class Meta:
        ordering = ["case", "role", "id"]
        verbose_name = "派遣单"
        verbose_name_plural = "派遣单"
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=Q(role="lead", state__in=["dispatched", "signed", "handled"]),
                name="assignment_one_active_lead",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}:{self.department_id}:{self.role}"


class ExtensionState(models.TextChoices):
    PENDING = "pending", "待审批"
    GRANTED = "granted", "已同意"
    DENIED = "denied", "未同意"


class ExtensionRequest(models.Model):
    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="extensions")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     related_name="+")
    reason = models.TextField("延期理由")
    requested_due_at = models.DateTimeField("申请延至")
    state = models.CharField("状态", max_length=8, choices=ExtensionState.choices,
                             default=ExtensionState.PENDING)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "延期申请"
        verbose_name_plural = "延期申请"

    def __str__(self) -> str:
        return f"{self.assignment_id}:{self.state}"


class CaseEvent(AppendOnly):
    """One timeline entry. Append-only: written once by the workflow, never changed."""

    append_only_name = "流转记录"

    # The timeline is read by case (``case``) and by id (the KPI fold, the webhook outbox);
    # nothing reads it by time, actor, organisation or action, so those have no index: every
    # workflow action and every imported case would write index entries for nobody (accounts
    # and organisations are deactivated, never deleted, so no key check scans the timeline for
    # them either; the one query by time, in the rare full KPI rebuild, reads the table).
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField("时间")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+", db_index=False)
    actor_name = models.CharField("操作人", max_length=64, blank=True)
    actor_org = models.ForeignKey(OrgUnit, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+", db_index=False)
    action = models.CharField("动作", max_length=24)
    from_state = models.CharField("原状态", max_length=12, blank=True)
    to_state = models.CharField("新状态", max_length=12, blank=True)
    note = models.TextField("说明", blank=True)
    data = models.JSONField("数据", default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = "流转记录"
        verbose_name_plural = "流转记录"

    def __str__(self) -> str:
        return f"{self.case_id} {self.action}"



class PhotoKind(models.TextChoices):
    REPORT = "report", "上报照片"
    RESULT = "result", "处置照片"


class CasePhoto(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="photos")
    kind = models.CharField(max_length=8, choices=PhotoKind.choices, default=PhotoKind.REPORT)
    file = models.FileField(upload_to="cases/%Y/%m/")
    content_type = models.CharField(max_length=32)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    exif_lng = models.FloatField(null=True, blank=True)
    exif_lat = models.FloatField(null=True, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = "照片"
        verbose_name_plural = "照片"

    def __str__(self) -> str:
        return self.file.name


class IdempotencyKey(models.Model):
    """A client's retry key: the same key always answers with the same case."""

    key = models.CharField(max_length=128)  # unique: Meta.constraints (no LIKE twin)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    request_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key"], name="idempotency_key_unique")]
        verbose_name = "幂等键"
        verbose_name_plural = "幂等键"

    def __str__(self) -> str:
        return self.key


class DeadlineUnit(models.TextChoices):
    HOURS = "hours", "小时"
    WORKDAYS = "workdays", "工作日"


class DeadlinePolicy(models.Model):
    """How long a stage may take. The most specific matching row wins (blank = any)."""

    stage = models.CharField("环节", max_length=10, choices=Stage.choices)
    category = models.ForeignKey(Category, verbose_name="事项分类", null=True, blank=True,
                                 on_delete=models.CASCADE, related_name="deadline_policies")
    urgency = models.CharField("紧急程度", max_length=10, choices=Urgency.choices, blank=True)
    area_level = models.CharField("区划层级", max_length=10, blank=True)
    amount = models.PositiveIntegerField("时限")
    unit = models.CharField("单位", max_length=10, choices=DeadlineUnit.choices)
    due_soon_ratio = models.FloatField("将到期提醒比例", default=0.2)

    class Meta:
        verbose_name = "时限规则"
        verbose_name_plural = "时限规则"
        constraints = [
            models.UniqueConstraint(fields=["stage", "category", "urgency", "area_level"],
                                    name="deadline_policy_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.get_stage_display()} {self.amount}{self.get_unit_display()}"
