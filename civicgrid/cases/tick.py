"""``tick``: the periodic pass over deadlines (``civicgrid tick``, ``--every 60`` in production).

1. Marks overdue cases (``Case.overdue_marked_at``) and assignments
   (``Assignment.overdue_marked_at``) and announces each new mark after commit
   (``case_overdue``: the notifications app tells the responsible people).
2. Escalates a case still unregistered or undispatched ``CASE_ESCALATE_OVERDUE_HOURS``
   past its deadline to the centre one level up (``services.escalate``, system actor).
3. Supervises (系统督办, ``services.supervise``) a case whose handling is
   ``CASE_SUPERVISE_OVERDUE_HOURS`` past its deadline.
4. Announces ``tick_done`` (the notifications app delivers its outbox then).

Idempotent: a second run at the same moment changes nothing. A mark is renewed only when a
later deadline passes (a new stage, an extension); an escalation or a 督办 happens once per
missed deadline (the timeline says whether it already did). Setting an hours value to 0
switches that step off.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from civicgrid.cases import routing, services
from civicgrid.cases.models import (
    OPEN_STATES,
    STAGE_OF_STATE,
    Assignment,
    AssignmentState,
    Case,
    CaseEvent,
    Stage,
    State,
)
from civicgrid.core.errors import DomainError

logger = logging.getLogger("civicgrid.tick")

# sent after commit: ``case``, ``stage``, ``due_at``, ``department_id`` (None: the case's own)
case_overdue = Signal()
# sent at the end of each tick with ``now``; receivers may answer with a summary dict
tick_done = Signal()


@dataclass
class TickReport:
    cases_marked: int = 0
    assignments_marked: int = 0
    escalated: int = 0
    supervised: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        text = (f"超期标记：事件 {self.cases_marked}，派遣单 {self.assignments_marked}；"
                f"自动上报 {self.escalated}；系统督办 {self.supervised}")
        return text + "".join(f"；{k} {v}" for k, v in self.extra.items())


def tick(*, now: dt.datetime | None = None) -> TickReport:
    now = now or timezone.now()
    report = TickReport(cases_marked=mark_overdue_cases(now),
                        assignments_marked=mark_overdue_assignments(now),
                        escalated=escalate_overdue(now), supervised=supervise_overdue(now))
    for _receiver, answer in tick_done.send_robust(sender=Case, now=now):
        if isinstance(answer, dict):
            report.extra.update(answer)
        elif isinstance(answer, Exception):
            logger.error("tick receiver failed: %r", answer)
    return report


def _not_marked_since(due_field: str) -> Q:
    return Q(overdue_marked_at__isnull=True) | Q(overdue_marked_at__lt=F(due_field))


def mark_overdue_cases(now: dt.datetime) -> int:
    marked = 0
    due = (Case.objects.filter(state__in=OPEN_STATES, due_at__lt=now)
           .filter(_not_marked_since("due_at")).order_by("due_at", "pk"))
    for case in due.iterator():
        stage = STAGE_OF_STATE[State(case.state)]
        with transaction.atomic():
            done = Case.objects.filter(pk=case.pk, state=case.state, due_at=case.due_at,
                                       overdue_marked_at=case.overdue_marked_at
                                       ).update(overdue_marked_at=now)
            if done:
                marked += 1
                case.overdue_marked_at = now
                _announce(case, stage, case.due_at, None)
    return marked


def mark_overdue_assignments(now: dt.datetime) -> int:
    marked = 0
    sign_passed = Q(state=AssignmentState.DISPATCHED, sign_due_at__lt=now) & _not_marked_since(
        "sign_due_at")
    handle_passed = Q(handle_due_at__lt=now) & _not_marked_since("handle_due_at")
    due = (Assignment.objects.filter(state__in=[AssignmentState.DISPATCHED,
                                                AssignmentState.SIGNED])
           .filter(sign_passed | handle_passed).select_related("case").order_by("pk"))
    for assignment in due.iterator():
        marked_at = assignment.overdue_marked_at
        if assignment.handle_due_at and assignment.handle_due_at < now and (
                marked_at is None or marked_at < assignment.handle_due_at):
            stage, deadline = Stage.HANDLE, assignment.handle_due_at
        else:
            stage, deadline = Stage.SIGN, assignment.sign_due_at
        with transaction.atomic():
            done = Assignment.objects.filter(pk=assignment.pk, state=assignment.state,
                                             overdue_marked_at=marked_at
                                             ).update(overdue_marked_at=now)
            if done:
                marked += 1
                _announce(assignment.case, stage, deadline, assignment.department_id)
    return marked


def _announce(case: Case, stage: str, due_at: dt.datetime | None, department_id: int | None
              ) -> None:
    transaction.on_commit(lambda: case_overdue.send_robust(
        sender=Case, case=case, stage=stage, due_at=due_at, department_id=department_id))


def _hours(name: str) -> int:
    return int(getattr(settings, name, 0) or 0)


def _acted_since(action: str, due_field: str, *, system_only: bool) -> Exists:
    events = CaseEvent.objects.filter(case=OuterRef("pk"), action=action,
                                      at__gte=OuterRef(due_field))
    return Exists(events.filter(actor__isnull=True) if system_only else events)


def escalate_overdue(now: dt.datetime) -> int:
    hours = _hours("CASE_ESCALATE_OVERDUE_HOURS")
    if hours <= 0:
        return 0
    done = 0
    due = (Case.objects.filter(state__in=[State.REPORTED, State.REGISTERED],
                               due_at__lt=now - dt.timedelta(hours=hours))
           .exclude(_acted_since("escalate", "due_at", system_only=False)).select_related("owner__area")
           .order_by("due_at", "pk"))
    for case in due:
        if routing.parent_center(case.owner) is None:
            continue  # already at the top: the overdue mark and the notice are what is left
        stage = Stage(STAGE_OF_STATE[State(case.state)]).label
        with override(settings.LANGUAGE_CODE):
            reason = _("超过%(stage)s时限 %(hours)s 小时仍未办理，系统自动上报上级中心。") % {
                "stage": stage, "hours": hours}
        try:
            services.escalate(actor=None, case_id=case.pk, reason=reason,
                              expected_version=case.version)
        except DomainError as exc:  # acted on meanwhile: the next tick looks again
            logger.info("tick: case %s not escalated: %s", case.pk, exc.code)
            continue
        done += 1
    return done


def supervise_overdue(now: dt.datetime) -> int:
    hours = _hours("CASE_SUPERVISE_OVERDUE_HOURS")
    if hours <= 0:
        return 0
    done = 0
    due = (Case.objects.filter(state__in=[State.DISPATCHED, State.IN_PROGRESS],
                               handle_due_at__lt=now - dt.timedelta(hours=hours))
           .exclude(_acted_since("supervise", "handle_due_at", system_only=True)).order_by("handle_due_at", "pk"))
    for case in due:
        with override(settings.LANGUAGE_CODE):
            note = _("处置超期 %(hours)s 小时以上，系统督办，请尽快办结。") % {"hours": hours}
        try:
            services.supervise(actor=None, case_id=case.pk, level=1, note=note,
                               expected_version=case.version)
        except DomainError as exc:
            logger.info("tick: case %s not supervised: %s", case.pk, exc.code)
            continue
        done += 1
    return done
