"""Every case action after intake, one keyword-only function each (intake: ``intake.py``).

Each opens ``workflow.transition`` (lock, table, permission, timeline) and applies only its
own changes. Views, the API, background jobs and the demo all call these.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

from civicgrid.accounts.models import OrgKind, OrgUnit, User
from civicgrid.cases import deadlines, photos, routing
from civicgrid.cases.models import (
    OPEN_STATES,
    Assignment,
    AssignmentRole,
    AssignmentState,
    Case,
    Category,
    ExtensionRequest,
    ExtensionState,
    PhotoKind,
    Stage,
    State,
    Urgency,
)
from civicgrid.cases.workflow import (
    ACTIVE_ASSIGNMENT,
    actor_department_ids,
    announce,
    assignment_of,
    enter_stage,
    lead_assignment,
    record_event,
    transition,
)
from civicgrid.core.errors import Conflict, NotFound, ValidationFailed


def _required(value: str, field: str, label: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationFailed(f"请填写{label}。", code="required", fields={field: ["必填"]})
    return value


def _category(code: str | None) -> Category | None:
    if not code:
        return None
    category = Category.objects.filter(code=code, is_active=True).select_related("parent").first()
    if category is None:
        raise ValidationFailed(f"事项分类 {code} 不存在。", code="unknown_category",
                               fields={"category": ["不存在"]})
    return category


def register(*, actor: User | None, case_id: int, category: str | None = None,
             urgency: str | None = None, note: str = "", expected_version: int | None = None) -> Case:
    with transition(actor=actor, case_id=case_id, action="register", note=note,
                    expected_version=expected_version) as step:
        case = step.case
        chosen = _category(category) or case.category
        if chosen is None:
            raise ValidationFailed("立案须选择事项分类。", code="category_required",
                                   fields={"category": ["必填"]})
        if urgency is not None and urgency not in Urgency.values:
            raise ValidationFailed("紧急程度无效。", code="invalid_urgency")
        case.category = chosen
        case.urgency = urgency or case.urgency or chosen.urgency
        case.registered_at = step.now
        step.data = {"category": chosen.code, "urgency": case.urgency}
    return case


def reject(*, actor: User | None, case_id: int, reason: str,
           expected_version: int | None = None) -> Case:
    reason = _required(reason, "reason", "不予立案的理由")
    with transition(actor=actor, case_id=case_id, action="reject", note=reason,
                    expected_version=expected_version) as step:
        step.case.closed_at = step.now
    return step.case


def merge(*, actor: User | None, case_id: int, into: int, note: str = "",
          expected_version: int | None = None) -> Case:
    if into == case_id:
        raise ValidationFailed("不能合并到自身。", code="merge_into_self")
    from civicgrid.cases.selectors import cases_visible_to

    target = cases_visible_to(actor).filter(pk=into).first() if actor else Case.objects.filter(pk=into).first()
    if target is None:
        raise NotFound("要合并到的事件不存在。", code="case_not_found")
    if target.state not in OPEN_STATES or target.merged_into_id:
        raise Conflict("只能合并到办理中的事件。", code="merge_target_closed")
    with transition(actor=actor, case_id=case_id, action="merge", note=note,
                    expected_version=expected_version) as step:
        target = Case.objects.get(pk=target.pk)  # re-read inside the transaction
        if target.state not in OPEN_STATES or target.merged_into_id:
            raise Conflict("只能合并到办理中的事件。", code="merge_target_closed")
        step.case.merged_into = target
        step.case.closed_at = step.now
        step.data = {"into": target.pk, "into_code": target.code}
        # the target's timeline says what joined it: its reporters are told too
        joined = record_event(case=target, actor=actor, action="merged_from",
                              from_state=target.state, to_state=target.state, note=note,
                              at=step.now, data={"from": step.case.pk, "from_code": step.case.code})
        announce(event=joined, case=target)
    return step.case


def _department(department_id: int, case: Case) -> OrgUnit:
    dept = routing.departments_serving(case.area_code).filter(pk=department_id).first()
    if dept is None:
        raise ValidationFailed("该部门不存在或不负责此区域。", code="invalid_department",
                               fields={"department": [str(department_id)]})
    return dept


def dispatch(*, actor: User | None, case_id: int, lead: int | None = None,
             co: Sequence[int] = (), note: str = "", expected_version: int | None = None) -> Case:
    with transition(actor=actor, case_id=case_id, action="dispatch", note=note,
                    expected_version=expected_version) as step:
        case = step.case
        if lead is None:
            default = routing.default_department(case.area_code,
                                                 case.category.department_type if case.category else "")
            if default is None:
                raise ValidationFailed("请选择主办部门。", code="department_required",
                                       fields={"lead": ["必填"]})
            lead_dept = default
        else:
            lead_dept = _department(lead, case)
        co_depts = [_department(d, case) for d in dict.fromkeys(co) if d != lead_dept.pk]
        level = case.owner.area.level
        sign_due = deadlines.due_for(stage=Stage.SIGN, category=case.category,
                                     urgency=case.urgency, area_level=level, start=step.now)
        handle_due = deadlines.due_for(stage=Stage.HANDLE, category=case.category,
                                       urgency=case.urgency, area_level=level, start=step.now)
        for dept, role in [(lead_dept, AssignmentRole.LEAD)] + [(d, AssignmentRole.CO) for d in co_depts]:
            Assignment.objects.create(case=case, department=dept, role=role, dispatched_at=step.now,
                                      sign_due_at=sign_due, handle_due_at=handle_due)
        case.dispatched_at = step.now
        if case.handle_due_at is None or handle_due > case.handle_due_at:
            case.handle_due_at = handle_due
        step.data = {"lead": lead_dept.pk, "lead_name": lead_dept.name,
                     "co": [d.pk for d in co_depts], "handle_due_at": handle_due.isoformat()}
    return step.case


def escalate(*, actor: User | None, case_id: int, reason: str,
             expected_version: int | None = None) -> Case:
    reason = _required(reason, "reason", "上报理由")
    with transition(actor=actor, case_id=case_id, action="escalate", note=reason,
                    expected_version=expected_version) as step:
        case = step.case
        parent = routing.parent_center(case.owner)
        if parent is None:
            raise Conflict("已是最高一级中心，无法再上报。", code="no_parent_center")
        step.data = {"from": case.owner.pk, "to": parent.pk, "to_name": parent.name}
        case.owner = parent
        case.escalation_count += 1
        # the centre that takes it over gets its own time for the stage, never less than was left
        previous_due = case.due_at
        enter_stage(case, case.state, step.now)
        if previous_due is not None and case.due_at is not None and case.due_at < previous_due:
            case.due_at = previous_due
        step.data["due_at"] = case.due_at.isoformat() if case.due_at else None
    return step.case


def sign(*, actor: User | None, case_id: int, note: str = "",
         expected_version: int | None = None) -> Case:
    with transition(actor=actor, case_id=case_id, action="sign", note=note,
                    expected_version=expected_version) as step:
        mine = assignment_of(actor, step.case, "cases.sign") if actor else lead_assignment(step.case)
        if mine is None or mine.role != AssignmentRole.LEAD:
            raise Conflict("由主办部门签收。", code="lead_signs")
        mine.state, mine.signed_at = AssignmentState.SIGNED, step.now
        mine.save(update_fields=["state", "signed_at"])
        step.data = {"assignment": mine.pk}
    return step.case


def return_case(*, actor: User | None, case_id: int, reason: str,
                expected_version: int | None = None) -> Case:
    reason = _required(reason, "reason", "退回理由")
    with transition(actor=actor, case_id=case_id, action="return", note=reason,
                    expected_version=expected_version) as step:
        mine = assignment_of(actor, step.case, "cases.return") if actor else lead_assignment(step.case)
        if mine is None or mine.role != AssignmentRole.LEAD:
            raise Conflict("由主办部门退回。", code="lead_returns")
        step.case.assignments.filter(state__in=ACTIVE_ASSIGNMENT).update(
            state=AssignmentState.RETURNED)
        step.case.handle_due_at = None
        step.data = {"assignment": mine.pk, "department": mine.department_id}
    return step.case


def handle(*, actor: User | None, case_id: int, result: str,
           files: Sequence[UploadedFile] = (), expected_version: int | None = None) -> Case:
    result = _required(result, "result", "处置结果")
    # a co-handler reports whenever its part is done (协办反馈: from dispatched to handled);
    # the table decides by the action, so pick it before the case is locked
    action = "co_handle" if _own_role(actor, case_id) == AssignmentRole.CO else "handle"
    with transition(actor=actor, case_id=case_id, action=action, note=result,
                    expected_version=expected_version) as step:
        mine = assignment_of(actor, step.case, "cases.handle") if actor else lead_assignment(step.case)
        if mine is None:
            raise Conflict("没有可反馈的派遣单。", code="not_assigned")
        if (mine.role == AssignmentRole.CO) != (action == "co_handle"):
            raise Conflict("该事件已被他人处理，请刷新后重试。", code="stale_version")
        if mine.role == AssignmentRole.CO and mine.state == AssignmentState.HANDLED:
            raise Conflict("本部门已反馈过协办结果。", code="already_handled")
        mine.state, mine.handled_at, mine.result = AssignmentState.HANDLED, step.now, result
        mine.save(update_fields=["state", "handled_at", "result"])
        if mine.role == AssignmentRole.LEAD:
            step.case.result, step.case.handled_at = result, step.now
        stored = photos.store_all(case=step.case, files=files, kind=PhotoKind.RESULT, actor=actor)
        step.data = {"assignment": mine.pk, "photos": [p.pk for p in stored]}
    return step.case


def _own_role(actor: User | None, case_id: int) -> str | None:
    """The role of the actor's department on the case (lead before co), if it has one."""
    if actor is None:
        return AssignmentRole.LEAD
    roles = set(Assignment.objects.filter(
        case_id=case_id, state__in=ACTIVE_ASSIGNMENT,
        department_id__in=sorted(actor_department_ids(actor, "cases.handle")),
    ).values_list("role", flat=True))
    if AssignmentRole.LEAD in roles:
        return AssignmentRole.LEAD
    return AssignmentRole.CO if roles else None


def request_extension(*, actor: User | None, case_id: int, reason: str,
                      until: dt.datetime, expected_version: int | None = None) -> ExtensionRequest:
    reason = _required(reason, "reason", "延期理由")
    with transition(actor=actor, case_id=case_id, action="request_extension", note=reason,
                    expected_version=expected_version) as step:
        mine = assignment_of(actor, step.case, "cases.request_extension")
        current = mine.handle_due_at or step.case.handle_due_at
        if current is not None and until <= current:
            raise ValidationFailed("延期后的时限须晚于现有时限。", code="extension_not_later",
                                   fields={"until": [current.isoformat()]})
        if mine.extensions.filter(state=ExtensionState.PENDING).exists():
            raise Conflict("已有待审批的延期申请。", code="extension_pending")
        request = ExtensionRequest.objects.create(assignment=mine, requested_by=actor,
                                                  reason=reason, requested_due_at=until,
                                                  created_at=step.now)
        step.data = {"extension": request.pk, "until": until.isoformat()}
    return request


def decide_extension(*, actor: User | None, case_id: int, extension: int, grant: bool,
                     note: str = "", expected_version: int | None = None) -> Case:
    with transition(actor=actor, case_id=case_id, action="decide_extension", note=note,
                    expected_version=expected_version) as step:
        request = (ExtensionRequest.objects.select_related("assignment")
                   .filter(pk=extension, assignment__case=step.case).first())
        if request is None:
            raise NotFound("延期申请不存在。", code="extension_not_found")
        if request.state != ExtensionState.PENDING:
            raise Conflict("该延期申请已审批。", code="extension_decided")
        request.state = ExtensionState.GRANTED if grant else ExtensionState.DENIED
        request.decided_by, request.decided_at = actor, step.now
        request.save(update_fields=["state", "decided_by", "decided_at"])
        if grant:
            assignment = request.assignment
            assignment.handle_due_at = max(request.requested_due_at,
                                           assignment.handle_due_at or request.requested_due_at)
            assignment.save(update_fields=["handle_due_at"])
            if assignment.role == AssignmentRole.LEAD:
                case = step.case
                case.handle_due_at = max(assignment.handle_due_at, case.handle_due_at or assignment.handle_due_at)
                if case.state == State.IN_PROGRESS:
                    case.due_at = case.handle_due_at
                    case.overdue_marked_at = None
        step.data = {"extension": request.pk, "granted": grant,
                     "until": request.requested_due_at.isoformat()}
    return step.case


SUPERVISE_LEVELS = {1: "一般督办", 2: "重点督办", 3: "挂牌督办"}


def supervise(*, actor: User | None, case_id: int, level: int, note: str,
              expected_version: int | None = None) -> Case:
    note = _required(note, "note", "督办意见")
    if level not in SUPERVISE_LEVELS:
        raise ValidationFailed("督办级别应为 1–3。", code="invalid_level", fields={"level": ["1–3"]})
    with transition(actor=actor, case_id=case_id, action="supervise", note=note,
                    expected_version=expected_version) as step:
        step.case.supervise_level = max(step.case.supervise_level, level)
        step.data = {"level": level, "label": SUPERVISE_LEVELS[level]}
    return step.case


def verify(*, actor: User | None, case_id: int, passed: bool, note: str = "",
           expected_version: int | None = None) -> Case:
    if not passed:
        note = _required(note, "note", "核查不通过的原因")
    action = "verify_pass" if passed else "verify_fail"
    with transition(actor=actor, case_id=case_id, action=action, note=note,
                    expected_version=expected_version) as step:
        case = step.case
        if passed:
            case.closed_at = step.now
            due = case.handle_due_at
            case.closed_on_time = due is None or (case.handled_at or step.now) <= due
        else:
            case.rework_count += 1
            _extend_handle_deadline(case, step.now, lead_assignment(case))
        step.data = {"passed": passed}
    return step.case


def _extend_handle_deadline(case: Case, now: dt.datetime, lead: Assignment | None) -> None:
    """Rework and reopening get a fresh handling period; deadlines never move backwards.

    The lead department works on again (signed) against the same, later deadline.
    """
    fresh = deadlines.due_for(stage=Stage.HANDLE, category=case.category, urgency=case.urgency,
                              area_level=case.owner.area.level, start=now)
    case.handle_due_at = max(fresh, case.handle_due_at) if case.handle_due_at else fresh
    if lead is not None:
        lead.state = AssignmentState.SIGNED
        lead.handle_due_at = max(case.handle_due_at, lead.handle_due_at or case.handle_due_at)
        lead.save(update_fields=["state", "handle_due_at"])


def callback(*, actor: User | None, case_id: int, satisfaction: int, comment: str = "",
             expected_version: int | None = None) -> Case:
    """回访: satisfaction 1–5. An unsatisfied rating within the window reopens the case."""
    if satisfaction not in range(1, 6):
        raise ValidationFailed("满意度应为 1–5。", code="invalid_satisfaction",
                               fields={"satisfaction": ["1–5"]})
    with transition(actor=actor, case_id=case_id, action="callback", note=comment,
                    expected_version=expected_version) as step:
        case = step.case
        case.satisfaction = satisfaction
        window = dt.timedelta(days=settings.CASE_REOPEN_WINDOW_DAYS)
        unsatisfied = satisfaction <= settings.CASE_UNSATISFIED_AT_MOST
        reopens = unsatisfied and case.closed_at is not None and step.now - case.closed_at <= window
        if reopens:
            step.target = "reopen" if lead_assignment(case) else "reopen_unassigned"
            case.reopen_count += 1
            case.closed_at = None
            case.closed_on_time = None
            lead = lead_assignment(case)
            if lead is not None:
                _extend_handle_deadline(case, step.now, lead)
        step.data = {"satisfaction": satisfaction, "reopened": reopens}
    return case


def center_of(actor: User | None) -> OrgUnit | None:
    org = getattr(actor, "org_unit", None)
    return org if org is not None and org.kind == OrgKind.CENTER else None
