"""One case: its fields, deadline colour, assignments, photos, timeline, and the forms of the
actions this user may take now (and only those)."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from civicgrid.accounts.models import User
from civicgrid.cases import routing
from civicgrid.cases.models import Case, CasePhoto, Category, ExtensionState, Urgency
from civicgrid.cases.selectors import case_for, cases_visible_to, timeline_of
from civicgrid.cases.services import SUPERVISE_LEVELS
from civicgrid.cases.transitions import TRANSITIONS
from civicgrid.cases.views.common import actions_for, decorate, error_page, mask_phone
from civicgrid.core.errors import DomainError, NotFound

ACTION_LABELS = {t.action: t.label for t in TRANSITIONS.values()} | {"report": "上报"}


def _duplicates(user: User, case: Case) -> list[Any]:
    try:
        from civicgrid.cases.duplicates import similar_open_candidates
    except ImportError:  # the duplicate finder is optional
        return []
    return similar_open_candidates(user=user, case=case, limit=5)


def detail_context(user: User, case: Case, *, posted: dict[str, Any] | None = None,
                   failed_action: str = "") -> dict[str, Any]:
    decorate([case])
    actions = actions_for(user, case)
    names = {a.action for a in actions}
    context: dict[str, Any] = {
        "case": case,
        "reporter_phone": mask_phone(case.reporter_phone_plain),
        "timeline": [(e, _(ACTION_LABELS.get(e.action, e.action))) for e in timeline_of(case)],
        "assignments": case.assignments.select_related("department").order_by("id"),
        "photos": case.photos.order_by("created_at", "id"),
        "actions": actions,
        "posted": posted or {},
        "failed_action": failed_action,
    }
    if "register" in names:
        context["categories"] = Category.objects.filter(is_active=True, parent__isnull=False)\
            .select_related("parent")
        context["urgencies"] = Urgency.choices
    if "register" in names or "merge" in names:
        context["duplicates"] = _duplicates(user, case)
        context["merge_suggestion"] = context["duplicates"][0].case.code if context["duplicates"] else ""
    if "dispatch" in names:
        context["departments"] = routing.departments_serving(case.area_code).order_by("name")
        dept_type = case.category.department_type if case.category else ""
        context["default_lead"] = routing.default_department(case.area_code, dept_type)
    if "decide_extension" in names or "request_extension" in names:
        context["extensions"] = [e for a in context["assignments"]
                                 for e in a.extensions.select_related("requested_by")]
        context["pending_extensions"] = [e for e in context["extensions"]
                                         if e.state == ExtensionState.PENDING]
    if "supervise" in names:
        context["supervise_levels"] = sorted(SUPERVISE_LEVELS.items())
    if case.merged_into_id:
        context["merged_into"] = cases_visible_to(user).filter(pk=case.merged_into_id).first()
    return context


def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        case = case_for(request.user, pk)
    except DomainError as exc:
        return error_page(request, exc)
    return render(request, "cases/detail.html", detail_context(request.user, case))


def case_photo(request: HttpRequest, pk: int) -> HttpResponse:
    """A photo of a case the user may see (media files are never served directly)."""
    photo = (CasePhoto.objects.filter(pk=pk, case__in=cases_visible_to(request.user).values("pk"))
             .first())
    if photo is None:
        return error_page(request, NotFound(_("照片不存在。")))
    response = FileResponse(photo.file.open("rb"), content_type=photo.content_type)
    response["Cache-Control"] = "private, max-age=3600"
    return response
