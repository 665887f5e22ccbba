"""The audit admin's pages: the log (filters, newest first) and a chain verification.

Only holders of ``audit.view`` (审计管理员) see them; everyone else gets 404, as for a page
that does not exist.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django import forms
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from civicgrid.accounts.scope import can
from civicgrid.core import audit
from civicgrid.core.audit_selectors import audit_entries_visible_to

PAGE_SIZE = 50


class AuditFilterForm(forms.Form):
    action = forms.CharField(label="动作", required=False, max_length=64)
    actor = forms.CharField(label="操作人账号", required=False, max_length=150)
    date_from = forms.DateField(label="起始日期", required=False,
                                widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label="截止日期", required=False,
                              widget=forms.DateInput(attrs={"type": "date"}))


def _require_auditor(request: HttpRequest) -> None:
    if not can(request.user, "audit.view"):  # type: ignore[arg-type]
        raise Http404


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


@require_GET
def audit_list(request: HttpRequest) -> HttpResponse:
    _require_auditor(request)
    entries = audit_entries_visible_to(request.user).select_related(None)
    form = AuditFilterForm(request.GET or None)
    if form.is_valid():
        data = form.cleaned_data
        if data["action"]:
            entries = entries.filter(action__startswith=data["action"].strip())
        if data["actor"]:
            entries = entries.filter(actor_name=data["actor"].strip())
        if data["date_from"]:
            entries = entries.filter(at__gte=_start_of(data["date_from"]))
        if data["date_to"]:
            entries = entries.filter(at__lt=_start_of(data["date_to"]) + timedelta(days=1))
    page = Paginator(entries.order_by("-seq"), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    actions = (audit_entries_visible_to(request.user).order_by("action")
               .values_list("action", flat=True).distinct()[:200])
    return render(request, "core/audit_list.html", {
        "form": form, "page": page, "query": query.urlencode(), "actions": list(actions),
    })


@require_GET
def audit_verify(request: HttpRequest) -> HttpResponse:
    """Recompute every hash from the stored rows; the verification itself is audited."""
    _require_auditor(request)
    report = audit.verify_chain()
    audit.record(actor=request.user, action="audit.verify", target="audit:chain",
                 data={"ok": report.ok, "checked": report.checked,
                       "first_bad_seq": report.first_bad_seq},
                 ip=request.META.get("REMOTE_ADDR", ""))
    bad = None
    if report.first_bad_seq is not None:
        bad = audit_entries_visible_to(request.user).filter(seq=report.first_bad_seq).first()
    return render(request, "core/audit_verify.html", {"report": report, "bad": bad})
