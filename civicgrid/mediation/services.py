"""Every write of the dispute workflow, one keyword-only function each.

Registration creates the dispute (and its parties) and its first timeline entry; every
later action opens ``workflow.transition`` (lock, table, permission, timeline) and applies
only its own changes. Views, the API, the case pages and the demo all call these.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from civicgrid.accounts.models import User
from civicgrid.accounts.scope import scope_for
from civicgrid.areas.models import Area, AreaLevel, Grid
from civicgrid.cases.selectors import case_for
from civicgrid.core import audit
from civicgrid.core.errors import Conflict, PermissionDenied, ValidationFailed
from civicgrid.core.transactions import write_transaction
from civicgrid.mediation import alerts, deadlines, privacy
from civicgrid.mediation.models import (
    ALERT_RISKS,
    LEVEL_ORDER,
    Agreement,
    Dispute,
    DisputeType,
    FollowUp,
    Level,
    Party,
    PartyKind,
    PartySide,
    Performance,
    Referral,
    Risk,
    ScreeningReport,
    Session,
    Source,
    State,
)
from civicgrid.mediation.workflow import record_event, transition

REPORT, MANAGE = "mediation.report", "mediation.manage"
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read out over the phone
# case categories (cases.taxonomy 矛盾纠纷) → dispute types
TYPE_OF_CATEGORY = {"jiufen-linli": DisputeType.NEIGHBOUR, "jiufen-hunyin": DisputeType.FAMILY,
                    "jiufen-tudi": DisputeType.LAND, "jiufen-wuye": DisputeType.PROPERTY,
                    "jiufen-laozi": DisputeType.LABOUR}
LEVEL_OF_AREA = {AreaLevel.VILLAGE: Level.VILLAGE, AreaLevel.TOWNSHIP: Level.TOWNSHIP,
                 AreaLevel.COUNTY: Level.COUNTY}


@dataclass(frozen=True)
class PartyInput:
    name: str
    side: str = PartySide.APPLICANT
    kind: str = PartyKind.PERSON
    id_number: str = ""
    phone: str = ""
    address: str = ""


def _required(value: str, field: str, label: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationFailed(f"请填写{label}。", code="required", fields={field: ["必填"]})
    return value


def _short(value: str, field: str, label: str, limit: int) -> str:
    value = (value or "").strip()
    if len(value) > limit:
        raise ValidationFailed(f"{label}不能超过 {limit} 个字。", code="too_long",
                               fields={field: [f"<= {limit}"]})
    return value


def _choice(value: str, choices: type, field: str, label: str) -> str:
    if value not in choices.values:  # type: ignore[attr-defined]
        raise ValidationFailed(f"{label}无效。", code=f"invalid_{field}",
                               fields={field: list(choices.values)})  # type: ignore[attr-defined]
    return value


def _place(grid_code: str | None, area_code: str | None) -> tuple[Grid | None, str, str]:
    """The grid (if any), the area code to file under, and the level it starts at."""
    if grid_code:
        grid = Grid.objects.current().filter(code=grid_code.strip()).first()
        if grid is None:
            raise ValidationFailed("网格不存在。", code="unknown_grid", fields={"grid": [grid_code]})
        return grid, grid.code, Level.VILLAGE
    if area_code:
        area = Area.objects.filter(code=area_code.strip()).first()
        if area is None or area.level not in LEVEL_OF_AREA:
            raise ValidationFailed("区划不存在或不是县、乡镇、村一级。", code="unknown_area",
                                   fields={"area": [area_code]})
        return None, area.code, LEVEL_OF_AREA[area.level]
    raise ValidationFailed("请选择网格或区划。", code="place_required", fields={"grid": ["必填"]})


def _parties(parties: Sequence[PartyInput]) -> list[PartyInput]:
    if not parties:
        raise ValidationFailed("请至少登记一名当事人。", code="parties_required",
                               fields={"parties": ["必填"]})
    for i, p in enumerate(parties):
        _required(p.name, f"parties[{i}].name", "当事人姓名或名称")
        _short(p.name, f"parties[{i}].name", "当事人姓名或名称", 100)
        _short(p.phone, f"parties[{i}].phone", "联系电话", 20)
        _short(p.address, f"parties[{i}].address", "住址", 200)
        _choice(p.side, PartySide, "side", "当事人身份")
        _choice(p.kind, PartyKind, "kind", "当事人类别")
        if p.id_number and len(p.id_number.strip()) not in (15, 18):
            raise ValidationFailed("身份证号或统一社会信用代码应为 15 或 18 位。",
                                   code="invalid_id_number",
                                   fields={f"parties[{i}].id_number": ["15/18 位"]})
    return list(parties)


def new_code() -> str:
    while True:
        code = "JF" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
        if not Dispute.objects.filter(code=code).exists():
            return code


def register_dispute(*, actor: User | None, dispute_type: str, summary: str,
                     parties: Sequence[PartyInput], risk: str = Risk.LOW, risk_reasons: str = "",
                     grid_code: str | None = None, area_code: str | None = None,
                     address: str = "", amount: Decimal | None = None, people_count: int = 2,
                     source: str | None = None, level: str | None = None,
                     screening_id: int | None = None, case_id: int | None = None) -> Dispute:
    """登记矛盾纠纷 (mediator, grid member, centre, or from a case / a screening report)."""
    _choice(dispute_type, DisputeType, "dispute_type", "纠纷类型")
    _choice(risk, Risk, "risk", "风险等级")
    summary = _required(summary, "summary", "纠纷简要情况")
    if risk in ALERT_RISKS:
        _required(risk_reasons, "risk_reasons", "风险研判理由")
    if not 1 <= people_count <= 100_000:
        raise ValidationFailed("涉及人数应在 1 到 100000 之间。", code="invalid_people_count",
                               fields={"people_count": ["1–100000"]})
    if amount is not None and not 0 <= amount < Decimal("1e12"):
        raise ValidationFailed("涉及金额应为不超过一万亿元的非负数。", code="invalid_amount",
                               fields={"amount": [">= 0"]})
    address = _short(address, "address", "纠纷发生地", 200)
    rows = _parties(parties)
    grid, code, start = _place(grid_code, area_code)
    if level is not None:
        start = _choice(level, Level, "level", "调解层级")
    if actor is not None and not (scope_for(actor, REPORT).covers_code(code)
                                  or scope_for(actor, MANAGE).covers_code(code)):
        raise PermissionDenied("您无权在该区域登记矛盾纠纷。", code="action_not_permitted")
    chosen = source or _source_of(actor)
    now = timezone.now()
    with write_transaction():
        screening = None
        if screening_id is not None:
            screening = ScreeningReport.objects.filter(pk=screening_id, grid_code=code).first()
            if screening is None:
                raise ValidationFailed("排查报告不存在或不是该网格的。", code="unknown_screening",
                                       fields={"screening": [str(screening_id)]})
            if screening.zero_report:
                raise Conflict("该网格本期已报零报告，请先撤回零报告。", code="zero_report_filed")
        dispute = Dispute(
            code=new_code(), dispute_type=dispute_type, summary=summary, amount=amount,
            people_count=people_count, risk=risk, risk_reasons=risk_reasons.strip(),
            source=Source.SCREENING if screening else chosen, grid=grid, area_code=code,
            address=address.strip(), case_id=case_id, screening=screening, start_level=start,
            level=start, reporter=actor, created_at=now, stage_started_at=now,
        )
        deadlines.enter_stage(dispute, State.REGISTERED, now)
        dispute.save()
        Party.objects.bulk_create([privacy.sealed_party(
            dispute=dispute, side=p.side, kind=p.kind, name=p.name, id_number=p.id_number,
            phone=p.phone, address=p.address) for p in rows])
        record_event(dispute=dispute, actor=actor, action="register", from_state="",
                     to_state=State.REGISTERED, at=now,
                     data={"risk": risk, "source": dispute.source, "case": case_id})
        alerts.alert_after_commit(dispute)
    return dispute


def _source_of(actor: User | None) -> str:
    if actor is None:
        return Source.CENTER
    if not scope_for(actor, MANAGE).is_empty:
        return Source.MEDIATOR
    if scope_for(actor, REPORT).grid_codes:
        return Source.GRID
    return Source.CENTER


def register_from_case(*, actor: User, case_id: int, parties: Sequence[PartyInput],
                       risk: str = Risk.LOW, risk_reasons: str = "",
                       dispute_type: str | None = None, amount: Decimal | None = None,
                       people_count: int = 2) -> Dispute:
    """A case filed under a 矛盾纠纷 category becomes a dispute that links back to it."""
    case = case_for(actor, case_id)  # scoped: a case the actor cannot see is a 404
    if case.category is None or not (case.category.is_dispute or (
            case.category.parent is not None and case.category.parent.is_dispute)):
        raise Conflict("该事件不属于矛盾纠纷类，不能转为纠纷。", code="case_not_dispute")
    if Dispute.objects.filter(case_id=case.pk).exclude(state=State.DECLINED).exists():
        raise Conflict("该事件已转为矛盾纠纷。", code="dispute_exists_for_case")
    kind = dispute_type or TYPE_OF_CATEGORY.get(case.category.code, DisputeType.OTHER)
    return register_dispute(
        actor=actor, dispute_type=kind, summary=f"{case.title}\n{case.description}".strip(),
        parties=parties, risk=risk, risk_reasons=risk_reasons,
        grid_code=case.grid.code if case.grid_id and case.grid else None,
        area_code=None if case.grid_id else case.area_code, address=case.address,
        amount=amount, people_count=people_count, source=Source.CASE, case_id=case.pk)


def accept(*, actor: User | None, dispute_id: int, note: str = "",
           expected_version: int | None = None) -> Dispute:
    with transition(actor=actor, dispute_id=dispute_id, action="accept", note=note,
                    expected_version=expected_version) as step:
        d = step.dispute
        d.accepted_at = step.now
        d.mediator = actor
        d.mediation_due_at = deadlines.due("mediate", step.now)
    return d


def decline(*, actor: User | None, dispute_id: int, reason: str,
            expected_version: int | None = None) -> Dispute:
    reason = _required(reason, "reason", "不予受理的理由")
    with transition(actor=actor, dispute_id=dispute_id, action="decline", note=reason,
                    expected_version=expected_version) as step:
        step.dispute.closed_at = step.now
    return step.dispute


def record_session(*, actor: User | None, dispute_id: int, place: str, mediators: str,
                   notes: str, attendees: str = "", held_at: dt.datetime | None = None,
                   expected_version: int | None = None) -> Dispute:
    """调解: one session; the first one starts the mediation."""
    place = _short(_required(place, "place", "调解地点"), "place", "调解地点", 100)
    mediators = _short(_required(mediators, "mediators", "调解人员"), "mediators", "调解人员", 200)
    attendees = _short(attendees, "attendees", "参加人员", 300)
    notes = _required(notes, "notes", "调解情况")
    with transition(actor=actor, dispute_id=dispute_id, action="session",
                    expected_version=expected_version) as step:
        d = step.dispute
        when = held_at or step.now
        if when > step.now + dt.timedelta(minutes=5):
            raise ValidationFailed("调解时间不能晚于现在。", code="future_time",
                                   fields={"held_at": ["不晚于现在"]})
        session = Session.objects.create(dispute=d, level=d.level, held_at=when, place=place,
                                         mediators=mediators, attendees=attendees.strip(),
                                         notes=notes, recorded_by=actor)
        if d.mediator_id is None:
            d.mediator = actor
        step.note = notes[:500]
        step.data = {"session": session.pk, "place": place}
    return d


def resolve(*, actor: User | None, dispute_id: int, terms: str, performance_method: str = "",
            expected_version: int | None = None) -> Dispute:
    """调解成功: the agreement (人民调解协议书) is written from the record."""
    terms = _required(terms, "terms", "协议内容")
    performance_method = _short(performance_method, "performance_method", "履行方式、时限", 200)
    with transition(actor=actor, dispute_id=dispute_id, action="resolve",
                    expected_version=expected_version) as step:
        d = step.dispute
        d.resolved_at = step.now
        d.resolved_on_time = d.mediation_due_at is None or step.now <= d.mediation_due_at
        number = f"调协〔{timezone.localtime(step.now).year}〕{d.code}"
        Agreement.objects.create(dispute=d, number=number, level=d.level, terms=terms,
                                 performance_method=performance_method.strip(),
                                 signed_at=step.now)
        step.data = {"agreement": number, "on_time": d.resolved_on_time}
    return d


def fail(*, actor: User | None, dispute_id: int, reason: str,
         expected_version: int | None = None) -> Dispute:
    reason = _required(reason, "reason", "调解未成功的原因")
    with transition(actor=actor, dispute_id=dispute_id, action="fail", note=reason,
                    expected_version=expected_version) as step:
        pass
    return step.dispute


def escalate(*, actor: User | None, dispute_id: int, reason: str,
             expected_version: int | None = None) -> Dispute:
    """上交: one level up (village → township → county), accepted there with a new deadline."""
    reason = _required(reason, "reason", "上交的理由")
    with transition(actor=actor, dispute_id=dispute_id, action="escalate", note=reason,
                    expected_version=expected_version) as step:
        d = step.dispute
        index = LEVEL_ORDER.index(Level(d.level))
        if index + 1 >= len(LEVEL_ORDER):
            raise Conflict("已在县级调解，不能再上交；请引导分流。", code="top_level")
        step.data = {"from_level": d.level, "to_level": LEVEL_ORDER[index + 1].value}
        d.level = LEVEL_ORDER[index + 1]
        d.escalation_count += 1
        d.mediator = None  # the next level's mediator takes it on at the first session
        d.accepted_at = d.accepted_at or step.now
        d.mediation_due_at = deadlines.due("mediate", step.now)
    return d


def refer(*, actor: User | None, dispute_id: int, referral: str, note: str = "",
          expected_version: int | None = None) -> Dispute:
    _choice(referral, Referral, "referral", "分流去向")
    with transition(actor=actor, dispute_id=dispute_id, action="refer", note=note,
                    expected_version=expected_version) as step:
        step.dispute.referral = referral
        step.data = {"referral": referral}
    return step.dispute


def follow_up(*, actor: User | None, dispute_id: int, notes: str, performance: str = "",
              expected_version: int | None = None) -> Dispute:
    """回访: records the visit and, for an agreement, its performance (履行情况)."""
    notes = _required(notes, "notes", "回访情况")
    with transition(actor=actor, dispute_id=dispute_id, action="follow_up", note=notes[:500],
                    expected_version=expected_version) as step:
        d = step.dispute
        agreement = Agreement.objects.filter(dispute=d).first()
        if agreement is not None:
            performance = _choice(performance or Performance.PENDING, Performance, "performance",
                                  "履行情况")
            agreement.performance = performance
            agreement.save(update_fields=["performance"])
        elif performance:
            raise ValidationFailed("没有调解协议，不记录履行情况。", code="no_agreement",
                                   fields={"performance": ["无协议"]})
        FollowUp.objects.create(dispute=d, visited_at=step.now, performance=performance,
                                notes=notes, visited_by=actor)
        d.next_followup_at = d.due_at = deadlines.due("follow_up", step.now)
        step.data = {"performance": performance}
    return d


def close(*, actor: User | None, dispute_id: int, note: str = "",
          expected_version: int | None = None) -> Dispute:
    with transition(actor=actor, dispute_id=dispute_id, action="close", note=note,
                    expected_version=expected_version) as step:
        d = step.dispute
        agreement = Agreement.objects.filter(dispute=d).first()
        if agreement is not None and agreement.performance in (Performance.PENDING,
                                                               Performance.BREACHED):
            raise Conflict("协议尚未履行完毕，请继续回访后再办结。", code="agreement_not_performed")
        d.closed_at = step.now
    return d


def reveal_parties(*, actor: User, dispute_id: int) -> list[dict[str, str]]:
    """The parties' personal data unmasked, for a mediator who must reach them; every
    unmasking is an audit entry (DESIGN.md §5)."""
    from civicgrid.mediation.selectors import dispute_for

    dispute = dispute_for(actor, dispute_id)  # outside scope: 404, like missing
    if not scope_for(actor, MANAGE).covers_code(dispute.area_code):
        raise PermissionDenied("只有负责调解的人员可以查看当事人完整信息。", code="unmask_not_permitted")
    parties = list(Party.objects.filter(dispute=dispute).order_by("side", "id"))
    audit.record(actor=actor, action="mediation.unmask", target=f"dispute:{dispute.code}",
                 data={"parties": [p.pk for p in parties]})
    return [privacy.plain(p) for p in parties]


def period_of(day: dt.date) -> dt.date:
    """The screening period a day falls in, named by its first day: monthly by default,
    every N months with ``MEDIATION_SCREENING_MONTHS`` (1, 2, 3, 4, 6 or 12)."""
    months = int(getattr(settings, "MEDIATION_SCREENING_MONTHS", 1) or 1)
    if 12 % months:
        raise ValueError("MEDIATION_SCREENING_MONTHS must divide 12")
    return day.replace(month=(day.month - 1) // months * months + 1, day=1)


def current_period(now: dt.datetime | None = None) -> dt.date:
    return period_of(timezone.localdate(now))


def submit_screening(*, actor: User | None, grid_code: str, zero_report: bool, notes: str = "",
                     period: dt.date | None = None) -> ScreeningReport:
    """排查报告 of one grid for one period; ``zero_report``: nothing found (零报告)."""
    grid = Grid.objects.current().filter(code=(grid_code or "").strip()).first()
    if grid is None:
        raise ValidationFailed("网格不存在。", code="unknown_grid", fields={"grid": [grid_code]})
    if actor is not None and not scope_for(actor, REPORT).covers_code(grid.code):
        raise PermissionDenied("您无权报告该网格的排查情况。", code="action_not_permitted")
    period = period_of(period) if period else current_period()
    if period > current_period():
        raise ValidationFailed("不能报告未来的排查周期。", code="future_period",
                               fields={"period": ["不晚于本月"]})
    if not zero_report:
        notes = _required(notes, "notes", "排查情况")
    with write_transaction():
        if ScreeningReport.objects.filter(grid_code=grid.code, period=period).exists():
            raise Conflict(f"{grid.name} {period:%Y年%m月} 的排查报告已提交。",
                           code="screening_exists")
        report = ScreeningReport.objects.create(
            grid_code=grid.code, grid=grid, period=period, zero_report=zero_report,
            notes=notes.strip(), reporter=actor, submitted_at=timezone.now())
    return report


def assess_risk(*, actor: User | None, dispute_id: int, risk: str, reasons: str,
                expected_version: int | None = None) -> Dispute:
    """风险研判: a new risk level with its reasons; rising to 高/重大 alerts at once."""
    _choice(risk, Risk, "risk", "风险等级")
    reasons = _required(reasons, "reasons", "风险研判理由")
    with transition(actor=actor, dispute_id=dispute_id, action="assess_risk", note=reasons,
                    expected_version=expected_version) as step:
        d = step.dispute
        step.data = {"from": d.risk, "to": risk}
        d.risk, d.risk_reasons = risk, reasons
        if risk in ALERT_RISKS:
            audit.record(actor=actor, actor_name=None if actor else "system",
                         action="mediation.risk", target=f"dispute:{d.code}",
                         data={"from": step.data["from"], "to": risk})
            alerts.alert_after_commit(d)
    return d
