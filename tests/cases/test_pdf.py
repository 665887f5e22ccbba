"""The printable case sheet: a real PDF with the case code, the timeline, any length."""

from __future__ import annotations

import contextlib
import re
import zlib

import pytest
from django.test import Client

from civicgrid.accounts.models import RoleGrant
from civicgrid.cases import services
from civicgrid.cases.intake import Report, report_case
from civicgrid.cases.pdf import case_sheet_pdf
from civicgrid.cases.selectors import timeline_of

pytestmark = pytest.mark.django_db


def _text(pdf: bytes) -> bytes:
    """The raw page content: every Flate stream inflated (reportlab compresses pages)."""
    out = [pdf]
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        with contextlib.suppress(zlib.error):
            out.append(zlib.decompress(match.group(1)))
    return b"\n".join(out)


def _case(cast):  # type: ignore[no-untyped-def]
    grid = RoleGrant.objects.get(user=cast["grid"], role__code="grid_member").grid_code
    case = report_case(actor=cast["hotline"], report=Report(
        channel="hotline", title="垃圾清运不及时", description="小区门口垃圾堆放", category="shirong-laji",
        grid_code=grid, reporter_name="王女士", reporter_phone="13812345678"))
    services.register(actor=cast["street"], case_id=case.pk)
    services.dispatch(actor=cast["street"], case_id=case.pk)
    services.sign(actor=cast["dept"], case_id=case.pk)
    return case


def test_sheet_is_a_pdf_with_the_case_code(cast) -> None:  # type: ignore[no-untyped-def]
    case = _case(cast)
    client = Client()
    client.force_login(cast["street"])
    response = client.get(f"/cases/{case.pk}/sheet.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    pdf = response.content
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    text = _text(pdf)
    assert case.code.encode() in text  # title metadata and the Helvetica code in the fields
    assert b"STSong-Light" in pdf  # Chinese drawn with the built-in CID font
    assert b"13812345678" not in text  # the reporter's phone is masked
    assert len(re.findall(rb"/Type /Page\b", pdf)) == 1


def test_a_long_timeline_flows_onto_more_pages(cast) -> None:  # type: ignore[no-untyped-def]
    case = _case(cast)
    for i in range(60):
        services.supervise(actor=cast["leader"], case_id=case.pk, level=1, note=f"第{i}次督办，请加快处置")
    pdf = case_sheet_pdf(case, timeline=list(timeline_of(case)), assignments=list(case.assignments.all()))
    assert len(re.findall(rb"/Type /Page\b", pdf)) >= 2


def test_sheet_outside_scope_is_404(cast) -> None:  # type: ignore[no-untyped-def]
    case = _case(cast)
    client = Client()
    client.force_login(cast["resident"])
    assert client.get(f"/cases/{case.pk}/sheet.pdf").status_code == 404
