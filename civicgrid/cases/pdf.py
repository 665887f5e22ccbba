"""The printable case sheet (案卷): header, fields, place, reporter (masked), assignments and
the full timeline, as a PDF drawn by reportlab (``core.pdf``: built-in CID font, no font files)."""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import escape

from django.utils import timezone
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Spacer

from civicgrid.cases.models import Assignment, Case, CaseEvent, State
from civicgrid.cases.transitions import TRANSITIONS
from civicgrid.core.pdf import Styles, render, when

ACTION_LABELS = {t.action: t.label for t in TRANSITIONS.values()} | {"report": "上报"}


def _mask(phone: str) -> str:
    phone = (phone or "").strip()
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:] if len(phone) > 7 else "*" * len(phone)


def case_sheet_pdf(case: Case, *, timeline: Sequence[CaseEvent],
                   assignments: Sequence[Assignment]) -> bytes:
    st = Styles()
    body, p, table = st.body, st.p, st.table

    if case.anonymous:
        reporter = "匿名"
    else:
        reporter = " ".join(x for x in (case.reporter_name or (str(case.reporter) if case.reporter else ""),
                                        _mask(case.reporter_phone_plain)) if x)
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
        ["上报时间", when(case.created_at), "立案时间", when(case.registered_at)],
        ["派遣时间", when(case.dispatched_at), "处置时间", when(case.handled_at)],
        ["结案时间", when(case.closed_at), "处置时限", when(case.handle_due_at)],
        ["返工次数", case.rework_count, "满意度", case.satisfaction or "—"],
    ]
    story: list[object] = [
        Paragraph("事件案卷", st.head),
        Paragraph(escape(f"{case.owner.name} · 打印时间 {when(timezone.now())}"), body),
        Spacer(1, 4 * mm),
        table(fields, [24 * mm, 66 * mm, 24 * mm, 66 * mm]),
        Paragraph("问题描述", st.sub), p(case.description),
    ]
    if case.result:
        story += [Paragraph("处置结果", st.sub), p(case.result)]
    story.append(Paragraph("派遣单", st.sub))
    rows: list[list[object]] = [["部门", "角色", "状态", "派遣", "处置时限", "处置结果"]]
    rows += [[a.department.name, a.get_role_display(), a.get_state_display(), when(a.dispatched_at),
              when(a.handle_due_at), a.result] for a in assignments]
    story.append(table(rows, [36 * mm, 12 * mm, 16 * mm, 28 * mm, 28 * mm, 60 * mm], header=True)
                 if assignments else p("（未派遣）"))
    story.append(Paragraph("流转记录", st.sub))
    rows = [["时间", "操作人", "动作", "状态", "说明"]]
    rows += [[when(e.at), e.actor_name + (f"（{e.actor_org.name}）" if e.actor_org else ""),
              ACTION_LABELS.get(e.action, e.action),
              " → ".join(State(s).label for s in (e.from_state, e.to_state) if s), e.note]
             for e in timeline]
    story.append(table(rows, [28 * mm, 38 * mm, 22 * mm, 30 * mm, 62 * mm], header=True))
    return render(story, title=case.code, subject=f"case {case.code}", footer=case.code)  # type: ignore[arg-type]
