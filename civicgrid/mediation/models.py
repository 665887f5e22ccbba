"""Disputes (矛盾纠纷): parties, sessions, agreements, follow-ups, the timeline, screening.

State changes happen only in ``civicgrid.mediation.workflow`` (one transition table, one
function). ``DisputeEvent`` rows are the append-only timeline; the KPIs are counted from the
stored fields the workflow sets (accepted_at, resolved_at, level …), never from memory.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from civicgrid.areas.models import Grid
from civicgrid.core.models import AppendOnly


class DisputeType(models.TextChoices):
    FAMILY = "family", _("婚姻家庭")
    NEIGHBOUR = "neighbour", _("邻里")
    LAND = "land", _("宅基地/土地")
    BOUNDARY = "boundary", _("山林/草山边界")
    LABOUR = "labour", _("劳资/欠薪")
    DEBT = "debt", _("债务")
    PROPERTY = "property", _("物业")
    MEDICAL = "medical", _("医疗")
    TRAFFIC = "traffic", _("交通事故")
    EXPROPRIATION = "expropriation", _("征地拆迁")
    POLLUTION = "pollution", _("环境污染")
    OTHER = "other", _("其他")


class Risk(models.TextChoices):
    LOW = "low", _("低")
    MEDIUM = "medium", _("中")
    HIGH = "high", _("高")
    MAJOR = "major", _("重大")


ALERT_RISKS = frozenset({Risk.HIGH, Risk.MAJOR})


class Level(models.TextChoices):
    VILLAGE = "village", _("村（社区）")
    TOWNSHIP = "township", _("乡镇（街道）")
    COUNTY = "county", _("县（区）")


LEVEL_ORDER = [Level.VILLAGE, Level.TOWNSHIP, Level.COUNTY]


class State(models.TextChoices):
    REGISTERED = "registered", _("待受理")
    ACCEPTED = "accepted", _("已受理")
    MEDIATING = "mediating", _("调解中")
    RESOLVED = "resolved", _("调解成功")
    UNRESOLVED = "unresolved", _("调解未成功")
    REFERRED = "referred", _("已引导分流")
    FOLLOWED_UP = "followed_up", _("已回访")
    CLOSED = "closed", _("已办结")
    DECLINED = "declined", _("不予受理")


OPEN_STATES = frozenset({State.REGISTERED, State.ACCEPTED, State.MEDIATING, State.RESOLVED,
                         State.UNRESOLVED, State.REFERRED, State.FOLLOWED_UP})
CLOSED_STATES = frozenset({State.CLOSED, State.DECLINED})


class Referral(models.TextChoices):
    """Where a dispute that mediation did not settle is guided (引导分流)."""

    LITIGATION = "litigation", _("引导诉讼")
    ARBITRATION = "arbitration", _("引导仲裁")
    PETITION = "petition", _("引导信访")
    COMMITTEE = "committee", _("移交人民调解委员会")
    PROFESSIONAL = "professional", _("移交行业性专业性调解组织")


class Source(models.TextChoices):
    SCREENING = "screening", _("排查发现")
    MEDIATOR = "mediator", _("调解员登记")
    GRID = "grid", _("网格员上报")
    CENTER = "center", _("综治中心登记")
    CASE = "case", _("事件转入")


class Performance(models.TextChoices):
    """履行情况 of an agreement, as found at a follow-up visit."""

    PENDING = "pending", _("履行中")
    FULFILLED = "fulfilled", _("已履行")
    PARTIAL = "partial", _("部分履行")
    BREACHED = "breached", _("未履行")


class ScreeningReport(models.Model):
    """One grid's screening (排查) for one period; ``zero_report``: nothing found (零报告)."""

    grid_code = models.CharField("网格编码", max_length=15, db_index=True)
    grid = models.ForeignKey(Grid, verbose_name="网格(当时版本)", on_delete=models.PROTECT,
                             related_name="+")
    period = models.DateField("排查周期（月初）", db_index=True)
    zero_report = models.BooleanField("零报告", default=False)
    notes = models.TextField("排查情况", blank=True)
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="报告人",
                                 null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    submitted_at = models.DateTimeField("报告时间")

    class Meta:
        ordering = ["-period", "grid_code"]
        verbose_name = "排查报告"
        verbose_name_plural = "排查报告"
        constraints = [models.UniqueConstraint(fields=["grid_code", "period"],
                                               name="screening_one_per_grid_period")]

    def __str__(self) -> str:
        return f"{self.grid_code} {self.period:%Y-%m}"


class Dispute(models.Model):
    code = models.CharField("纠纷编号", max_length=16, unique=True)
    dispute_type = models.CharField("纠纷类型", max_length=16, choices=DisputeType.choices,
                                    db_index=True)
    summary = models.TextField("纠纷简要情况")
    amount = models.DecimalField("涉及金额（元）", max_digits=14, decimal_places=2, null=True,
                                 blank=True)
    people_count = models.PositiveIntegerField("涉及人数", default=2)
    risk = models.CharField("风险等级", max_length=8, choices=Risk.choices, default=Risk.LOW,
                            db_index=True)
    risk_reasons = models.TextField("风险研判理由", blank=True)
    source = models.CharField("来源", max_length=10, choices=Source.choices)
    grid = models.ForeignKey(Grid, verbose_name="网格(当时版本)", null=True, blank=True,
                             on_delete=models.PROTECT, related_name="+")
    # the grid's 15 digits, else the village/township code: scope is a prefix match (ADR 0001)
    area_code = models.CharField("区划/网格编码", max_length=15, db_index=True)
    address = models.CharField("纠纷发生地", max_length=200, blank=True)
    case = models.ForeignKey("cases.Case", verbose_name="关联事件", null=True, blank=True,
                             on_delete=models.PROTECT, related_name="disputes")
    screening = models.ForeignKey(ScreeningReport, verbose_name="排查报告", null=True,
                                  blank=True, on_delete=models.PROTECT, related_name="disputes")
    start_level = models.CharField("首次受理层级", max_length=10, choices=Level.choices,
                                   default=Level.VILLAGE)
    level = models.CharField("当前调解层级", max_length=10, choices=Level.choices,
                             default=Level.VILLAGE, db_index=True)
    escalation_count = models.PositiveSmallIntegerField("上交次数", default=0)
    state = models.CharField("状态", max_length=12, choices=State.choices,
                             default=State.REGISTERED, db_index=True)
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="登记人", null=True,
                                 blank=True, on_delete=models.PROTECT, related_name="+")
    mediator = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="主调解员", null=True,
                                 blank=True, on_delete=models.PROTECT, related_name="+")
    referral = models.CharField("分流去向", max_length=16, choices=Referral.choices, blank=True)
    created_at = models.DateTimeField("登记时间", db_index=True)
    accepted_at = models.DateTimeField("受理时间", null=True, blank=True)
    resolved_at = models.DateTimeField("调解成功时间", null=True, blank=True)
    closed_at = models.DateTimeField("办结时间", null=True, blank=True)
    stage_started_at = models.DateTimeField("本环节开始")
    due_at = models.DateTimeField("本环节时限", null=True, blank=True, db_index=True)
    mediation_due_at = models.DateTimeField("调解时限", null=True, blank=True)
    resolved_on_time = models.BooleanField("按期化解", null=True, blank=True)
    next_followup_at = models.DateTimeField("下次回访", null=True, blank=True)
    version = models.PositiveIntegerField("版本", default=0)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "矛盾纠纷"
        verbose_name_plural = "矛盾纠纷"
        indexes = [models.Index(fields=["state", "due_at"], name="dispute_state_due"),
                   models.Index(fields=["risk", "state"], name="dispute_risk_state")]

    def __str__(self) -> str:
        return f"{self.code} {self.get_dispute_type_display()}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def on_watch(self) -> bool:
        return self.risk in ALERT_RISKS and self.is_open


class PartyKind(models.TextChoices):
    PERSON = "person", _("自然人")
    ORGANISATION = "organisation", _("单位/组织")


class PartySide(models.TextChoices):
    APPLICANT = "applicant", _("申请人")
    RESPONDENT = "respondent", _("被申请人")
    OTHER = "other", _("其他当事人")


class Party(models.Model):
    """当事人. ID number, phone and address are personal data: encrypted at rest, shown masked
    (``privacy``); a mediator may unmask them, audited."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="parties")
    side = models.CharField("身份", max_length=10, choices=PartySide.choices)
    kind = models.CharField("类别", max_length=12, choices=PartyKind.choices,
                            default=PartyKind.PERSON)
    name = models.CharField("姓名/名称", max_length=100)
    # encrypted at rest (core.personal.seal); found by exact value through the keyed hashes
    id_number = models.TextField("身份证号/统一社会信用代码（加密）", blank=True)
    phone = models.TextField("联系电话（加密）", blank=True)
    address = models.TextField("住址（加密）", blank=True)
    id_hash = models.CharField("证件号检索哈希", max_length=64, blank=True, db_index=True)
    phone_hash = models.CharField("电话检索哈希", max_length=64, blank=True, db_index=True)

    class Meta:
        ordering = ["dispute", "side", "id"]
        verbose_name = "当事人"
        verbose_name_plural = "当事人"

    def __str__(self) -> str:
        return self.name


class Session(models.Model):
    """One mediation session (调解记录)."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="sessions")
    level = models.CharField("层级", max_length=10, choices=Level.choices)
    held_at = models.DateTimeField("调解时间")
    place = models.CharField("调解地点", max_length=100)
    mediators = models.CharField("调解人员", max_length=200)
    attendees = models.CharField("参加人员", max_length=300, blank=True)
    notes = models.TextField("调解情况")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["held_at", "id"]
        verbose_name = "调解记录"
        verbose_name_plural = "调解记录"

    def __str__(self) -> str:
        return f"{self.dispute_id} {self.held_at:%Y-%m-%d}"


class Agreement(models.Model):
    """人民调解协议书: written once when mediation succeeds; its performance is tracked."""

    dispute = models.OneToOneField(Dispute, on_delete=models.CASCADE, related_name="agreement")
    number = models.CharField("协议书编号", max_length=32, unique=True)
    level = models.CharField("层级", max_length=10, choices=Level.choices)
    terms = models.TextField("协议内容")
    performance_method = models.CharField("履行方式、时限", max_length=200, blank=True)
    signed_at = models.DateTimeField("签订时间")
    performance = models.CharField("履行情况", max_length=10, choices=Performance.choices,
                                   default=Performance.PENDING)

    class Meta:
        verbose_name = "调解协议书"
        verbose_name_plural = "调解协议书"

    def __str__(self) -> str:
        return self.number


class FollowUp(models.Model):
    """回访: a visit after the outcome, with the agreement's performance found then."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="followups")
    visited_at = models.DateTimeField("回访时间")
    performance = models.CharField("履行情况", max_length=10, choices=Performance.choices,
                                   blank=True)
    notes = models.TextField("回访情况")
    visited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["visited_at", "id"]
        verbose_name = "回访记录"
        verbose_name_plural = "回访记录"

    def __str__(self) -> str:
        return f"{self.dispute_id} {self.visited_at:%Y-%m-%d}"


class DisputeEvent(AppendOnly):
    """One timeline entry. Append-only: written once by the workflow, never changed."""

    append_only_name = "流转记录"

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField("时间", db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    actor_name = models.CharField("操作人", max_length=64, blank=True)
    action = models.CharField("动作", max_length=24, db_index=True)
    from_state = models.CharField("原状态", max_length=12, blank=True)
    to_state = models.CharField("新状态", max_length=12, blank=True)
    level = models.CharField("层级", max_length=10, choices=Level.choices)
    note = models.TextField("说明", blank=True)
    data = models.JSONField("数据", default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = "纠纷流转记录"
        verbose_name_plural = "纠纷流转记录"

    def __str__(self) -> str:
        return f"{self.dispute_id} {self.action}"



# the KPI rollups live in their own module (facts and sums, ``rollups.py``)
from civicgrid.mediation.rollup_models import DisputeFact, DisputeRollup  # noqa: E402, F401
