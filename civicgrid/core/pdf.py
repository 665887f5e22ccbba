"""PDF building blocks shared by the printable documents (case sheet, mediation agreement).

reportlab with its built-in CID font for Chinese (no font files), A4, one footer line.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from xml.sax.saxutils import escape

from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Table, TableStyle

FONT = "STSong-Light"
_registered = False


def font() -> str:
    global _registered
    if not _registered:
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
        _registered = True
    return FONT


def when(value: object) -> str:
    if value is None:
        return "—"
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")  # type: ignore[arg-type]


class Styles:
    """The paragraph styles of one document: body text, the title, section headings."""

    def __init__(self) -> None:
        name = font()
        self.body = ParagraphStyle("body", fontName=name, fontSize=9.5, leading=13)
        self.head = ParagraphStyle("head", fontName=name, fontSize=16, leading=22, alignment=1)
        self.sub = ParagraphStyle("sub", fontName=name, fontSize=11.5, leading=16, spaceBefore=8,
                                  spaceAfter=4)

    def p(self, text: object) -> Paragraph:
        return Paragraph(escape(str(text if text not in (None, "") else "—")), self.body)

    def table(self, rows: list[list[object]], widths: list[float], header: bool = False) -> Table:
        t = Table([[c if isinstance(c, Paragraph) else self.p(c) for c in r] for r in rows],
                  colWidths=widths, repeatRows=1 if header else 0)
        style = [("GRID", (0, 0), (-1, -1), 0.5, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP")]
        if header:
            style.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e6f0fb")))
        t.setStyle(TableStyle(style))
        return t


def render(story: Sequence[Flowable], *, title: str, subject: str, footer: str) -> bytes:
    """Lay out ``story`` on A4 with ``footer`` and the page number at the bottom right."""
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm,
                            topMargin=15 * mm, bottomMargin=15 * mm, title=title,
                            subject=subject, author="civicgrid", creator="civicgrid")

    def draw_footer(canvas, doc_) -> None:  # type: ignore[no-untyped-def]
        canvas.saveState()
        canvas.setFont("Helvetica", 8)
        canvas.drawRightString(A4[0] - 15 * mm, 8 * mm, f"{footer}  {doc_.page}")
        canvas.restoreState()

    doc.build(list(story), onFirstPage=draw_footer, onLaterPages=draw_footer)
    return buffer.getvalue()
