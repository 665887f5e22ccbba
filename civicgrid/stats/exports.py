"""Excel (.xlsx, openpyxl) of the KPI table, the rankings and any drill-down case list:
Chinese headers, dates as dates, personal data masked, a row limit, large exports audited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from io import BytesIO
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from civicgrid.cases.models import Case
from civicgrid.cases.views.common import mask_phone
from civicgrid.core.errors import ValidationFailed
from civicgrid.stats import conf, figures, kpis
from civicgrid.stats.selectors import KpiQuery

DATE_FORMAT = "yyyy-mm-dd hh:mm"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def mask_name(name: str) -> str:
    name = (name or "").strip()
    return name[:1] + "*" * (len(name) - 1) if name else ""


def _book(title: str, caption: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = title[:31]
    ws.append([caption])
    ws["A1"].font = Font(bold=True)
    ws.append(list(headers))
    for cell in ws[2]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append(list(row))
    for column in ws.iter_cols(min_row=3):
        for cell in column:
            if isinstance(cell.value, dt.datetime | dt.date):
                cell.number_format = DATE_FORMAT if isinstance(cell.value, dt.datetime) else "yyyy-mm-dd"
    for letter, width in zip("ABCDEFGHIJKLMN", (18, 30, 18, 14, 12, 16, 12, 12, 18, 18, 18, 10),
                             strict=False):
        ws.column_dimensions[letter].width = width
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def _caption(q: KpiQuery, what: str) -> str:
    return f"{what} {q.period.start:%Y-%m-%d} — {q.period.end:%Y-%m-%d}" + (f" {q.area}" if q.area else "")


def _value(value: float | None, unit: str) -> float | None:
    if value is None:
        return None
    return round(value * 100, 1) if unit == kpis.RATE else round(value, 1)


def kpi_book(q: KpiQuery) -> tuple[bytes, int]:
    rows = figures.kpi_table(q)
    unit_label = {kpis.COUNT: _("件"), kpis.RATE: "%", kpis.HOURS: _("小时")}
    data = [(r["label"], unit_label[r["unit"]], _value(r["value"], r["unit"]),
             _value(r["previous"], r["unit"]), _value(r["last_year"], r["unit"]),
             _value(r["target"], r["unit"]), r["numerator"], r["denominator"]) for r in rows]
    headers = [_("指标"), _("单位"), _("本期"), _("上期"), _("去年同期"), _("目标"), _("分子"), _("分母")]
    return _book(_("指标"), _caption(q, _("指标")), headers, data), len(data)


def ranking_book(q: KpiQuery, kind: str) -> tuple[bytes, int]:
    rows = figures.township_ranking(q) if kind == "townships" else figures.department_ranking(q)
    first = _("乡镇（街道）") if kind == "townships" else _("部门")
    headers = [_("名次"), first, _("受理"), _("立案"), _("结案"), _("结案率(%)"), _("按期结案率(%)"),
               _("满意率(%)"), _("平均处置时长(小时)")]
    data = [(i, r["name"], r["received"], r["registered"], r["closed"],
             _value(r.get("closure_rate"), kpis.RATE), _value(r.get("on_time_rate"), kpis.RATE),
             _value(r.get("satisfaction_rate"), kpis.RATE), _value(r.get("handle_hours"), kpis.HOURS))
            for i, r in enumerate(rows, 1)]
    return _book(first, _caption(q, _("排名")), headers, data), len(data)


def _local(value: dt.datetime | None) -> dt.datetime | None:
    return timezone.localtime(value).replace(tzinfo=None) if value else None


def cases_book(qs: QuerySet[Case], caption: str) -> tuple[bytes, int]:
    limit = conf.export_row_limit()
    count = qs.count()
    if count > limit:
        raise ValidationFailed(f"导出最多 {limit} 行，本次 {count} 行，请缩小范围。",
                               code="export_too_large", fields={"rows": [count]})
    headers = [_("事件编号"), _("标题"), _("事项分类"), _("来源渠道"), _("状态"), _("区划/网格编码"),
               _("反映人"), _("联系电话"), _("上报时间"), _("立案时间"), _("结案时间"), _("按期结案")]
    yes, no = _("是"), _("否")
    data = ((c.code, c.title, str(c.category) if c.category_id else "", c.get_channel_display(),
             c.get_state_display(), c.area_code,
             _("匿名") if c.anonymous else mask_name(c.reporter_name), mask_phone(c.reporter_phone_plain),
             _local(c.created_at), _local(c.registered_at), _local(c.closed_at),
             "" if c.closed_on_time is None else (yes if c.closed_on_time else no))
            for c in qs.iterator(chunk_size=2000))
    return _book(_("事件"), caption, headers, data), count


def assessment_book(table: dict[str, Any]) -> tuple[bytes, int]:
    """A score table (draft or published): per unit the raw figures, scores and the total."""
    headers = [_("名次"), _("单位")]
    for ind in table["indicators"]:
        label = _(ind["label"])
        headers += [f"{label}", f"{label}{_('得分')}（{ind['weight']:g}）"]
    headers.append(_("总分"))
    data = []
    for row in table["rows"]:
        line: list[Any] = [row["rank"], row["name"]]
        for cell, ind in zip(row["cells"], table["indicators"], strict=True):
            line += [_value(cell["value"], ind["unit"]), cell["score"]]
        line.append(row["total"])
        data.append(line)
    caption = f"{table['scheme']} {table['period']['start']} — {table['period']['end']}"
    return _book(_("考核"), caption, headers, data), len(data)
