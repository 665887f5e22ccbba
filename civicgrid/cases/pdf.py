"""The printable case sheet (案卷): header, fields, place, reporter (masked), assignments and
the full timeline, as a PDF drawn by reportlab with its built-in CID font (no font files)."""

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
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from civicgrid.cases.models import Assignment, Case, CaseEvent, State
from civicgrid.cases.transitions import TRANSITIONS

FONT = "STSong-Light"
_registered = False

ACTION_LABELS = {t.action: t.label for t in TRANSITIONS.values()} | {"report": "上报"}


def _font() -> str:
    global _registered
    if not _registered:
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
        _registered = True
    return FONT


def _mask(phone: str) -> str:
    phone = (phone or "").strip()
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:] if len(phone) > 7 else "*" * len(phone)


def _when(value: object) -> str:
    if value is None:
        return "—"
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")  # type: ignore[arg-type]


def case_sheet_pdf(case: Case, *, timeline: Sequence[CaseEvent],
                   assignments: Sequence[Assignment]) -> bytes:
    font = _font()
    body = ParagraphStyle("body", fontName=font, fontSize=9.5, leading=13)
    head = ParagraphStyle("head", fontName=font, fontSize=16, leading=22, alignment=1)
    sub = ParagraphStyle("sub", fontName=font, fontSize=11.5, leading=16, spaceBefore=8,
                         spaceAfter=4)

    def p(text: object) -> Paragraph:
        return Paragraph(escape(str(text if text not in (None, "") else "—")), body)

    def table(rows: list[list[object]], widths: list[float], header: bool = False) -> Table:
        t = Table([[c if isinstance(c, Paragraph) else p(c) for c in r] for r in rows],
                  colWidths=widths, repeatRows=1 if header else 0)
        style = [("GRID", (0, 0), (-1, -1), 0.5, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP")]
        if header:
            style.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e6f0fb")))
        t.setStyle(TableStyle(style))
        return t

    if case.anonymous:
        reporter = "匿名"
    else:
        reporter = " ".join(x for x in (case.reporter_name or (str(case.reporter) if case.reporter else ""),
                                        _mask(case.reporter_phone)) if x)
    place = case.grid.name + f"（{case.grid.code}）" if case.grid else case.area_code
    location = f"{case.lng:.6f}, {case.lat:.6f}" if case.lng is not None and case.lat is not None else "—"
    fields = [
        ["案卷编号", Paragraph(f'<font name="Helvetica">{escape(case.code)}</font>', body),
         "状态", State(case.state).label],
        ["来源渠道", case.get_channel_display(), "紧急程度", case.get_urgency_display()],
        ["事项分类", str(case.category) if case.category else "—", "承办中心", case.owner.name],
        ["标题", case.title, "即报即办", "是" if case.on_the_spot else "否"],
        ["地址", case.address, "坐标(WGS-84)", location],
        ["所属网格/区划", place, "反映人", reporter],
        ["上报时间", _when(case.created_at), "立案时间", _when(case.registered_at)],
        ["派遣时间", _when(case.dispatched_at), "处置时间", _when(case.handled_at)],
        ["结案时间", _when(case.closed_at), "处置时限", _when(case.handle_due_at)],
        ["返工次数", case.rework_count, "满意度", case.satisfaction or "—"],
    ]
    story: list[object] = [
        Paragraph("事件案卷", head),
        Paragraph(escape(f"{case.owner.name} · 打印时间 {_when(timezone.now())}"), body),
        Spacer(1, 4 * mm),
        table(fields, [24 * mm, 66 * mm, 24 * mm, 66 * mm]),
        Paragraph("问题描述", sub), p(case.description),
    ]
    if case.result:
        story += [Paragraph("处置结果", sub), p(case.result)]
    story.append(Paragraph("派遣单", sub))
    rows: list[list[object]] = [["部门", "角色", "状态", "派遣", "处置时限", "处置结果"]]
    rows += [[a.department.name, a.get_role_display(), a.get_state_display(), _when(a.dispatched_at),
              _when(a.handle_due_at), a.result] for a in assignments]
    story.append(table(rows, [36 * mm, 12 * mm, 16 * mm, 28 * mm, 28 * mm, 60 * mm], header=True)
                 if assignments else p("（未派遣）"))
    story.append(Paragraph("流转记录", sub))
    rows = [["时间", "操作人", "动作", "状态", "说明"]]
    rows += [[_when(e.at), e.actor_name + (f"（{e.actor_org.name}）" if e.actor_org else ""),
              ACTION_LABELS.get(e.action, e.action),
              " → ".join(State(s).label for s in (e.from_state, e.to_state) if s), e.note]
             for e in timeline]
    story.append(table(rows, [28 * mm, 38 * mm, 22 * mm, 30 * mm, 62 * mm], header=True))

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm,
                            topMargin=15 * mm, bottomMargin=15 * mm, title=case.code,
                            subject=f"case {case.code}", author="civicgrid", creator="civicgrid")

    def footer(canvas, doc_) -> None:  # type: ignore[no-untyped-def]
        canvas.saveState()
        canvas.setFont("Helvetica", 8)
        canvas.drawRightString(A4[0] - 15 * mm, 8 * mm, f"{case.code}  {doc_.page}")
        canvas.restoreState()

    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()
