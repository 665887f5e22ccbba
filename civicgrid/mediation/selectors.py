"""Every read of disputes goes through ``disputes_visible_to`` (pages, API, PDF, KPIs).

Area grants: the disputes of the area and below; grid grants: the grid's disputes; anyone
who registered a dispute sees that one. Outside scope answers 404, like missing.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When

from civicgrid.accounts.models import User
from civicgrid.accounts.scope import scope_for
from civicgrid.areas.models import Grid
from civicgrid.areas.selectors import grids_visible_to
from civicgrid.core.errors import NotFound
from civicgrid.core.personal import lookup_hash
from civicgrid.mediation.models import (
    ALERT_RISKS,
    OPEN_STATES,
    Dispute,
    DisputeEvent,
    ScreeningReport,
)

VIEW = "mediation.view"


def disputes_visible_to(user: User | None) -> QuerySet[Dispute]:
    scope = scope_for(user, VIEW)
    q = Q(pk__in=[])
    if scope.everywhere:
        q = Q()
    elif not scope.is_empty:
        q = scope.code_q("area_code")
    if user is not None and getattr(user, "pk", None):
        q |= Q(reporter_id=user.pk)
    return Dispute.objects.filter(q).select_related("grid", "mediator", "reporter")


def dispute_for(user: User | None, dispute_id: int) -> Dispute:
    dispute = disputes_visible_to(user).filter(pk=dispute_id).first()
    if dispute is None:
        raise NotFound("纠纷不存在。", code="dispute_not_found")
    return dispute


def timeline_of(dispute: Dispute) -> QuerySet[DisputeEvent]:
    """The timeline of a dispute the caller already obtained through a scoped selector."""
    return dispute.events.select_related("actor").order_by("at", "id")


def watch_list(user: User | None) -> QuerySet[Dispute]:
    """High and 重大 risk disputes that are not closed: most dangerous, oldest first."""
    return (disputes_visible_to(user).filter(risk__in=sorted(ALERT_RISKS),
                                             state__in=sorted(OPEN_STATES))
            .order_by(Case(When(risk="major", then=Value(0)), default=Value(1),
                           output_field=IntegerField()), "created_at"))


def disputes_of_person(user: User | None, *, id_number: str = "", phone: str = "") -> QuerySet[Dispute]:
    """The visible disputes with a party of this exact ID number or phone (keyed hash: the
    stored values stay encrypted)."""
    q = Q(pk__in=[])
    if hash_ := lookup_hash(id_number):
        q |= Q(parties__id_hash=hash_)
    if hash_ := lookup_hash(phone):
        q |= Q(parties__phone_hash=hash_)
    return disputes_visible_to(user).filter(q).distinct()


def disputes_of_case(user: User | None, case_id: int) -> QuerySet[Dispute]:
    """The disputes registered from a case (for the case page), as far as ``user`` may see."""
    return disputes_visible_to(user).filter(case_id=case_id).order_by("created_at")


def missing_screening(user: User | None, period: dt.date) -> QuerySet[Grid]:
    """The current grids in ``user``'s scope that have no screening report for ``period``."""
    reported = ScreeningReport.objects.filter(period=period).values("grid_code")
    return (grids_visible_to(user).filter(scope_for(user, VIEW).code_q("code"))
            .exclude(code__in=reported).order_by("code"))


def screening_reports_visible_to(user: User | None) -> QuerySet[ScreeningReport]:
    scope = scope_for(user, VIEW)
    if scope.is_empty:
        return ScreeningReport.objects.none()
    return ScreeningReport.objects.filter(scope.code_q("grid_code")).select_related("grid",
                                                                                  "reporter")
