"""人民调解协议书 as a PDF, written from the record: parties (personal data masked), the
facts, the terms, how and when they are performed, signatures, and the follow-ups so far."""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import escape

from django.utils import timezone
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Spacer

from civicgrid.core.pdf import Styles, render, when
from civicgrid.mediation import privacy
from civicgrid.mediation.models import Agreement, Dispute, FollowUp, Party, Session

COMMITTEE = {"village": "村（社区）人民调解委员会", "township": "乡镇（街道）人民调解委员会",
             "county": "县（区）人民调解委员会"}


def agreement_pdf(dispute: Dispute, *, agreement: Agreement, parties: Sequence[Party],
                  sessions: Sequence[Session], followups: Sequence[FollowUp]) -> bytes:
    st = Styles()
    body, p, table = st.body, st.p, st.table
    place = dispute.grid.name if dispute.grid else dispute.area_code
    story: list[object] = [
        Paragraph("人民调解协议书", st.head),
        Paragraph(escape(f"{agreement.number}　　{COMMITTEE[agreement.level]}"), body),
        Spacer(1, 4 * mm),
        Paragraph("当事人", st.sub),
        table([["身份", "姓名/名称", "类别", "身份证号/信用代码", "联系电话", "住址"]]
              + [[m["side"], m["name"], m["kind"], m["id_number"], m["phone"], m["address"]]
                 for m in map(privacy.masked, parties)],
              [20 * mm, 30 * mm, 18 * mm, 38 * mm, 28 * mm, 46 * mm], header=True),
        Paragraph("纠纷主要事实、争议事项", st.sub),
        p(f"{dispute.get_dispute_type_display()}纠纷（{place}）。{dispute.summary}"),
        Paragraph("调解经过", st.sub),
        table([["时间", "层级", "地点", "调解人员"]]
              + [[when(s.held_at), s.get_level_display(), s.place, s.mediators] for s in sessions],
              [32 * mm, 28 * mm, 50 * mm, 70 * mm], header=True) if sessions else p("—"),
        Paragraph("经调解，双方当事人自愿达成如下协议", st.sub), p(agreement.terms),
        Paragraph("履行方式、时限", st.sub), p(agreement.performance_method),
        p("本协议自各方当事人签名（盖章）、人民调解员签名并加盖人民调解委员会印章之日起生效。"
          "本协议书一式三份，当事人各执一份，人民调解委员会留存一份。"),
        Spacer(1, 8 * mm),
        table([["当事人（签名/盖章）", "", "人民调解员（签名）", ""],
               ["人民调解委员会（印）", "", "签订日期", when(agreement.signed_at)[:10]]],
              [40 * mm, 50 * mm, 40 * mm, 50 * mm]),
        Paragraph("履行情况与回访", st.sub),
        p(f"履行情况：{agreement.get_performance_display()}"),
    ]
    if followups:
        story.append(table([["回访时间", "履行情况", "回访情况"]]
                           + [[when(f.visited_at), f.get_performance_display() or "—", f.notes]
                              for f in followups], [32 * mm, 24 * mm, 124 * mm], header=True))
    story.append(Spacer(1, 4 * mm))
    story.append(Paragraph(escape(f"纠纷编号 {dispute.code} · 打印时间 {when(timezone.now())}"), body))
    return render(story, title=agreement.number, subject=f"agreement {dispute.code}",  # type: ignore[arg-type]
                  footer=dispute.code)
