"""The dispute pages: the lists (mediators, centres, leader), registration, one dispute with
the forms of the actions this user may take now, and the POST of those forms."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_POST

from civicgrid.accounts.scope import can
from civicgrid.cases.selectors import case_for
from civicgrid.cases.views.common import error_page, form_values
from civicgrid.core.errors import (
    Conflict,
    DomainError,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from civicgrid.mediation import services
from civicgrid.mediation.models import (
    Agreement,
    Dispute,
    DisputeType,
    Level,
    PartyKind,
    Performance,
    Referral,
    Risk,
    State,
)
from civicgrid.mediation.pdf import agreement_pdf
from civicgrid.mediation.selectors import (
    dispute_for,
    disputes_of_person,
    disputes_visible_to,
    timeline_of,
    watch_list,
)
from civicgrid.mediation.transitions import TRANSITIONS
from civicgrid.mediation.views.common import decorate, masked_parties, page_actions, report_grids

TABS: list[tuple[str, str, list[str]]] = [
    ("todo", gettext_noop("待受理"), [State.REGISTERED]),
    ("mediating", gettext_noop("调解中"), [State.ACCEPTED, State.MEDIATING, State.UNRESOLVED]),
    ("followup", gettext_noop("待回访"), [State.RESOLVED, State.REFERRED, State.FOLLOWED_UP]),
    ("watch", gettext_noop("重点关注"), []),
    ("closed", gettext_noop("已办结"), [State.CLOSED, State.DECLINED]),
]


def dispute_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not can(user, "mediation.view"):
        return error_page(request, PermissionDenied(_("您没有查看矛盾纠纷的权限。")))
    tab = request.GET.get("tab") or "todo"
    tabs = {key: states for key, _label, states in TABS}
    if tab not in tabs:
        tab = "todo"
    level = request.GET.get("level") or ""
    base = disputes_visible_to(user)
    if level in Level.values:
        base = base.filter(level=level)
    counts = {key: (watch_list(user) if key == "watch" else base.filter(state__in=states)).count()
              for key, states in tabs.items()}
    person = (request.GET.get("person") or "").strip()
    if person:  # 当事人身份证号或电话, exact: every tab's disputes of that person
        qs = disputes_of_person(user, id_number=person, phone=person).order_by("-created_at")
    elif tab == "watch":
        qs = watch_list(user).filter(level=level) if level in Level.values else watch_list(user)
    else:
        qs = base.filter(state__in=tabs[tab]).order_by("due_at" if tab != "closed" else "-closed_at",
                                                       "-id")
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    return render(request, "mediation/list.html", {
        "tabs": [(key, _(label), counts[key]) for key, label, _states in TABS], "tab": tab,
        "levels": Level.choices, "level": level, "page": page, "person": person,
        "rows": decorate(page.object_list), "can_report": can(user, "mediation.report"),
        "query": urlencode({"tab": tab, "level": level}),
    })


def _parties(post: Any) -> list[services.PartyInput]:
    rows = []
    for i, side in enumerate(("applicant", "respondent", "other")):
        name = post.get(f"party{i}_name", "").strip()
        if not name:
            continue
        rows.append(services.PartyInput(
            name=name, side=side, kind=post.get(f"party{i}_kind") or PartyKind.PERSON,
            id_number=post.get(f"party{i}_id_number", ""), phone=post.get(f"party{i}_phone", ""),
            address=post.get(f"party{i}_address", "")))
    return rows


def _amount(raw: str) -> Decimal | None:
    raw = (raw or "").strip().replace(",", "")
    if not raw:
        return None
    try:
        return Decimal(raw)
    except InvalidOperation:
        raise ValidationFailed(_("涉及金额应为数字。"), code="invalid_amount",
                               fields={"amount": ["数字"]}) from None


def _count(raw: str) -> int:
    raw = (raw or "").strip()
    if not raw.isdigit():
        raise ValidationFailed(_("涉及人数应为正整数。"), code="invalid_people_count",
                               fields={"people_count": [">= 1"]})
    return int(raw)


def register(request: HttpRequest) -> HttpResponse:
    """登记矛盾纠纷 (phone first); ``?case=`` registers one from a 矛盾纠纷 case."""
    user = request.user
    if not (can(user, "mediation.report") or can(user, "mediation.manage")):
        return error_page(request, PermissionDenied(_("您没有登记矛盾纠纷的权限。")))
    case = None
    case_id = request.GET.get("case") or request.POST.get("case") or ""
    try:
        if case_id:
            case = case_for(user, int(case_id) if case_id.isdigit() else 0)
    except DomainError as exc:
        return error_page(request, exc)
    context: dict[str, Any] = {"case": case, "types": DisputeType.choices, "risks": Risk.choices,
                               "kinds": PartyKind.choices, "grids": report_grids(user),
                               "party_slots": [(0, _("申请人")), (1, _("被申请人")),
                                               (2, _("其他当事人（可不填）"))],
                               "posted": {}}
    if request.method == "POST":
        p = request.POST
        try:
            common = {"actor": user, "parties": _parties(p), "risk": p.get("risk", "low"),
                      "risk_reasons": p.get("risk_reasons", ""), "amount": _amount(p.get("amount", "")),
                      "people_count": _count(p.get("people_count", "2"))}
            if case is not None:
                dispute = services.register_from_case(
                    case_id=case.pk, dispute_type=p.get("dispute_type") or None, **common)
            else:
                dispute = services.register_dispute(
                    dispute_type=p.get("dispute_type", ""), summary=p.get("summary", ""),
                    grid_code=p.get("grid") or None, address=p.get("address", ""), **common)
        except DomainError as exc:
            context["posted"] = form_values(request)
            return error_page(request, exc, template="mediation/register.html", context=context)
        messages.success(request, _("已登记矛盾纠纷 %(code)s。") % {"code": dispute.code})
        if dispute.on_watch:
            messages.warning(request, _("高/重大风险纠纷已即时报告领导和综治中心。"))
        if disputes_visible_to(user).filter(pk=dispute.pk).exists():
            return redirect("mediation:detail", pk=dispute.pk)
        return redirect("mediation:list")
    return render(request, "mediation/register.html", context)


def detail_context(user: Any, dispute: Dispute, *, posted: dict[str, Any] | None = None,
                   failed_action: str = "") -> dict[str, Any]:
    decorate([dispute])
    labels = {t.action: _(t.label) for t in TRANSITIONS.values()} | {"register": _("登记")}
    return {
        "d": dispute, "parties": masked_parties(dispute),
        "sessions": dispute.sessions.order_by("held_at", "id"),
        "agreement": Agreement.objects.filter(dispute=dispute).first(),
        "followups": dispute.followups.order_by("visited_at", "id"),
        "timeline": [(e, labels.get(e.action, e.action)) for e in timeline_of(dispute)],
        "actions": page_actions(user, dispute), "posted": posted or {},
        "failed_action": failed_action, "referrals": Referral.choices,
        "performances": Performance.choices, "risks": Risk.choices,
        "case_link": _visible_case(user, dispute),
        "me": user.display_name or user.username,
        "can_reveal": can(user, "mediation.manage"),
    }


def _visible_case(user: Any, dispute: Dispute) -> Any:
    if dispute.case_id is None:
        return None
    try:
        return case_for(user, dispute.case_id)
    except NotFound:
        return None


def dispute_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        dispute = dispute_for(request.user, pk)
    except DomainError as exc:
        return error_page(request, exc)
    return render(request, "mediation/detail.html", detail_context(request.user, dispute))


def _held_at(raw: str) -> dt.datetime | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        value = dt.datetime.fromisoformat(raw)
    except ValueError:
        raise ValidationFailed(_("调解时间格式不对。"), code="invalid_datetime",
                               fields={"held_at": ["YYYY-MM-DD HH:MM"]}) from None
    return timezone.make_aware(value) if timezone.is_naive(value) else value


def _perform(action: str, request: HttpRequest, pk: int, version: int | None) -> Any:
    p = request.POST
    common: dict[str, Any] = {"actor": request.user, "dispute_id": pk, "expected_version": version}
    calls: dict[str, Callable[[], Any]] = {
        "accept": lambda: services.accept(**common, note=p.get("note", "")),
        "decline": lambda: services.decline(**common, reason=p.get("reason", "")),
        "session": lambda: services.record_session(
            **common, place=p.get("place", ""), mediators=p.get("mediators", ""),
            attendees=p.get("attendees", ""), notes=p.get("notes", ""),
            held_at=_held_at(p.get("held_at", ""))),
        "resolve": lambda: services.resolve(**common, terms=p.get("terms", ""),
                                            performance_method=p.get("performance_method", "")),
        "fail": lambda: services.fail(**common, reason=p.get("reason", "")),
        "escalate": lambda: services.escalate(**common, reason=p.get("reason", "")),
        "refer": lambda: services.refer(**common, referral=p.get("referral", ""),
                                        note=p.get("note", "")),
        "follow_up": lambda: services.follow_up(**common, notes=p.get("notes", ""),
                                                performance=p.get("performance", "")),
        "close": lambda: services.close(**common, note=p.get("note", "")),
        "assess_risk": lambda: services.assess_risk(**common, risk=p.get("risk", ""),
                                                    reasons=p.get("reasons", "")),
    }
    return calls[action]()


@require_POST
def dispute_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    if action not in TRANSITIONS:
        return error_page(request, NotFound(_("没有这个操作。")))
    version_text = request.POST.get("version", "")
    version = int(version_text) if version_text.isdigit() else None
    try:
        _perform(action, request, pk, version)
    except DomainError as exc:
        try:
            dispute = dispute_for(request.user, pk)
        except NotFound as missing:
            return error_page(request, missing)
        if isinstance(exc, Conflict):
            exc.message = _("该纠纷已被他人处理或状态已变化：%(message)s") % {"message": exc.message}
        context = detail_context(request.user, dispute, posted=form_values(request),
                                 failed_action=action)
        return error_page(request, exc, template="mediation/detail.html", context=context)
    messages.success(request, _("操作成功。"))
    return redirect("mediation:detail", pk=pk)


def agreement_document(request: HttpRequest, pk: int) -> HttpResponse:
    """人民调解协议书 (PDF) of a dispute the user may see."""
    try:
        dispute = dispute_for(request.user, pk)
    except DomainError as exc:
        return error_page(request, exc)
    agreement = Agreement.objects.filter(dispute=dispute).first()
    if agreement is None:
        return error_page(request, NotFound(_("该纠纷尚未签订调解协议。"), code="no_agreement"))
    with translation.override(settings.LANGUAGE_CODE):  # a legal document: the site's language
        data = agreement_pdf(dispute, agreement=agreement,
                             parties=list(dispute.parties.order_by("side", "id")),
                             sessions=list(dispute.sessions.order_by("held_at", "id")),
                             followups=list(dispute.followups.order_by("visited_at", "id")))
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="agreement-{dispute.code}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
def reveal_parties(request: HttpRequest, pk: int) -> HttpResponse:
    """The detail page once, with the parties' personal data unmasked (audited)."""
    try:
        parties = services.reveal_parties(actor=request.user, dispute_id=pk)
        dispute = dispute_for(request.user, pk)
    except DomainError as exc:
        return error_page(request, exc)
    context = detail_context(request.user, dispute)
    context["parties"] = parties
    context["revealed"] = True
    response = render(request, "mediation/detail.html", context)
    response["Cache-Control"] = "private, no-store"
    return response
