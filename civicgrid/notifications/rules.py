"""Who gets what: one small function per timeline event type (and one for overdue).

Each rule reads the committed event and the case and answers with ``Notice`` items: the
users to inform in the inbox (待办 when they must act, 消息 otherwise) and, for people who
are reached by phone (a reporter's number), the SMS to send. Services store them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.accounts.models import User
from civicgrid.cases.models import Case, CaseEvent, ExtensionRequest, Stage
from civicgrid.notifications import recipients as who
from civicgrid.notifications.models import Kind


@dataclass(frozen=True)
class Notice:
    users: list[User]
    kind: str
    title: str
    body: str = ""
    phones: list[str] = field(default_factory=list)  # SMS to reporters (may have no account)


Rule = Callable[[CaseEvent, Case], list[Notice]]


def _when(value: dt.datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _phones(*cases: Case) -> list[str]:
    return [c.reporter_phone_plain for c in cases if c.reporter_phone and not c.anonymous]


def on_report(event: CaseEvent, case: Case) -> list[Notice]:
    return [Notice(who.centre_operators(case.owner_id), Kind.TODO,
                   _("新上报事件 %(code)s：%(title)s") % {"code": case.code, "title": case.title},
                   case.description[:200])]


def on_dispatch(event: CaseEvent, case: Case) -> list[Notice]:
    due = _when(case.handle_due_at)
    lead = who.department_handlers([event.data.get("lead")] if event.data.get("lead") else [])
    co = who.department_handlers(event.data.get("co") or [])
    body = _("处置时限：%(due)s") % {"due": due}
    return [
        Notice(lead, Kind.TODO, _("派遣待签收（主办）%(code)s：%(title)s")
               % {"code": case.code, "title": case.title}, body),
        Notice(co, Kind.TODO, _("派遣待签收（协办）%(code)s：%(title)s")
               % {"code": case.code, "title": case.title}, body),
    ]


def on_return(event: CaseEvent, case: Case) -> list[Notice]:
    return [Notice(who.centre_operators(case.owner_id), Kind.TODO,
                   _("事件被退回，请重新派遣 %(code)s") % {"code": case.code}, event.note)]


def on_handle(event: CaseEvent, case: Case) -> list[Notice]:
    title = {"code": case.code, "title": case.title}
    return [
        Notice(who.grid_verifiers(case), Kind.TODO, _("待核查 %(code)s：%(title)s") % title,
               event.note[:200]),
        Notice(who.centre_operators(case.owner_id), Kind.MESSAGE,
               _("已处置，待核查 %(code)s：%(title)s") % title, event.note[:200]),
    ]


def on_verify_fail(event: CaseEvent, case: Case) -> list[Notice]:
    return [Notice(who.department_handlers(_ids(who.lead_department_id(case))), Kind.TODO,
                   _("核查不通过，请返工 %(code)s") % {"code": case.code}, event.note)]


def on_closed(event: CaseEvent, case: Case) -> list[Notice]:
    title = _("您反映的问题已办结（%(code)s），请对办理结果进行评价。") % {"code": case.code}
    return [Notice(who.reporter(case), Kind.TODO, title, case.result[:200], _phones(case))]


def on_merge(event: CaseEvent, case: Case) -> list[Notice]:
    target = Case.objects.filter(pk=event.data.get("into")).select_related("reporter").first()
    cases = [case] + ([target] if target is not None else [])
    users: list[User] = []
    for c in cases:
        users += [u for u in who.reporter(c) if u not in users]
    code = target.code if target else ""
    title = _("您反映的问题与事件 %(code)s 为同一问题，已合并办理。") % {"code": code}
    return [Notice(users, Kind.MESSAGE, title, "", list(dict.fromkeys(_phones(*cases))))]


def on_supervise(event: CaseEvent, case: Case) -> list[Notice]:
    label = event.data.get("label", "")
    title = _("%(label)s：%(code)s %(title)s") % {"label": label, "code": case.code,
                                                  "title": case.title}
    return [
        Notice(who.department_handlers(_ids(who.lead_department_id(case))), Kind.TODO, title,
               event.note),
        Notice(who.centre_operators(case.owner_id), Kind.MESSAGE, title, event.note),
    ]


def on_escalate(event: CaseEvent, case: Case) -> list[Notice]:
    return [Notice(who.centre_operators(event.data.get("to") or case.owner_id), Kind.TODO,
                   _("下级中心上报事件 %(code)s：%(title)s") % {"code": case.code, "title": case.title},
                   event.note)]


def on_request_extension(event: CaseEvent, case: Case) -> list[Notice]:
    return [Notice(who.centre_operators(case.owner_id), Kind.TODO,
                   _("延期申请待审批 %(code)s") % {"code": case.code}, event.note)]


def on_decide_extension(event: CaseEvent, case: Case) -> list[Notice]:
    request = (ExtensionRequest.objects.filter(pk=event.data.get("extension"))
               .select_related("assignment").first())
    if request is None:
        return []
    text = _("延期申请已同意 %(code)s") if event.data.get("granted") else _("延期申请未同意 %(code)s")
    return [Notice(who.department_handlers([request.assignment.department_id]), Kind.MESSAGE,
                   text % {"code": case.code}, event.note)]


def _ids(value: int | None) -> list[int]:
    return [value] if value is not None else []


RULES: dict[str, Rule] = {
    "report": on_report,
    "dispatch": on_dispatch,
    "return": on_return,
    "handle": on_handle,
    "resolve_on_spot": on_handle,
    "verify_fail": on_verify_fail,
    "verify_pass": on_closed,
    "merge": on_merge,
    "supervise": on_supervise,
    "escalate": on_escalate,
    "request_extension": on_request_extension,
    "decide_extension": on_decide_extension,
}

CENTRE_STAGES = (Stage.ACCEPT, Stage.DISPATCH, Stage.VERIFY)


def on_overdue(case: Case, *, stage: str, due_at: dt.datetime,
               department_id: int | None = None) -> list[Notice]:
    """From ``civicgrid tick``: the centre for accept/dispatch/verify, the department else."""
    label = Stage(stage).label
    title = _("已超期（%(stage)s）%(code)s：%(title)s") % {"stage": label, "code": case.code,
                                                       "title": case.title}
    body = _("时限：%(due)s") % {"due": _when(due_at)}
    if stage in CENTRE_STAGES:
        return [Notice(who.centre_operators(case.owner_id), Kind.TODO, title, body)]
    dept = department_id if department_id is not None else who.lead_department_id(case)
    return [Notice(who.department_handlers(_ids(dept)), Kind.TODO, title, body)]
