"""The printable case sheet (案卷) as PDF."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from civicgrid.cases.pdf import case_sheet_pdf
from civicgrid.cases.selectors import case_for, timeline_of
from civicgrid.cases.views.common import error_page
from civicgrid.core.errors import DomainError


def case_sheet(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        case = case_for(request.user, pk)
    except DomainError as exc:
        return error_page(request, exc)
    content = case_sheet_pdf(case, timeline=list(timeline_of(case)),
                             assignments=list(case.assignments.select_related("department")))
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="case-{case.code}.pdf"'
    return response
