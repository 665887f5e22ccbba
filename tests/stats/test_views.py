"""The command-centre page, its API, the drill-down page and the Excel exports."""

from __future__ import annotations

import datetime as dt
import re
from io import BytesIO

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from civicgrid.cases.models import Case
from civicgrid.core.models import AuditEntry
from civicgrid.core.personal import lookup_hash, seal
from civicgrid.demo.cases import build_cases
from civicgrid.stats import rollups
from tests.accounts.conftest import login_client

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(dt.datetime(2026, 6, 15, 10, 0))
YEAR = {"period": "year", "date": "2026-03-01"}


@pytest.fixture
def city(cast):  # type: ignore[no-untyped-def]
    build_cases(300, seed=3, now=NOW)
    Case.objects.filter(pk__in=Case.objects.order_by("pk").values("pk")[:40]).update(
        reporter_name="张三丰", reporter_phone=seal("13812345678"),
        reporter_phone_hash=lookup_hash("13812345678"), anonymous=False)
    rollups.rebuild()
    return cast


def _number(html: str, testid: str) -> int:
    block = re.search(rf'data-testid="{testid}".*?<b[^>]*>([\d,]+)</b>', html, re.S)
    assert block, testid
    return int(block.group(1).replace(",", ""))


def test_the_centre_shows_numbers_that_match_their_lists(city) -> None:  # type: ignore[no-untyped-def]
    c = login_client(city["leader"])
    page = c.get("/stats/", YEAR)
    assert page.status_code == 200
    html = page.content.decode()
    received = _number(html, "kpi-received")
    assert received > 0
    link = re.search(r'data-testid="kpi-received"[^>]*|href="([^"]+)"[^>]*data-testid="kpi-received"', html)
    assert link is not None
    href = re.search(r'<a class="kpi[^"]*" href="([^"]+)" data-testid="kpi-received"', html).group(1)
    listed = c.get(href.replace("&amp;", "&"))
    assert listed.status_code == 200
    assert int(re.search(r'data-testid="drill-count">(\d+)<', listed.content.decode()).group(1)) == received
    towns = html.split('data-testid="rank-townships"')[1].split("</table>")[0]
    first = re.search(r'<a href="([^"]+measure=received)">(\d+)</a>', towns)
    assert first is not None
    behind = c.get(first.group(1).replace("&amp;", "&")).content.decode()
    assert re.search(r'data-testid="drill-count">(\d+)<', behind).group(1) == first.group(2)
    ranking = html.split('data-testid="rank-departments"')[1].split("</table>")[0]
    assert "公安分局" in ranking and "%" in ranking  # the ranking, not the filter's list
    for testid in ("chart-trend", "chart-channel", "chart-township", "centre-map", "rank-townships",
                   "rank-departments", "live-overdue"):
        assert f'data-testid="{testid}"' in html


def test_scope_permission_and_bad_input(city) -> None:  # type: ignore[no-untyped-def]
    street = login_client(city["street"])
    assert street.get("/stats/", {"area": "640202001"}).status_code == 200
    assert street.get("/stats/", {"area": "640202002"}).status_code == 404  # not his township
    assert street.get("/api/v1/stats/summary/", {"area": "640202002"}).json()["code"] == "area_not_found"
    assert login_client(city["grid"]).get("/stats/").status_code == 403
    bad = login_client(city["leader"]).get("/api/v1/stats/summary/", {"period": "custom", "start": "2026-05-01"})
    assert bad.status_code == 400 and set(bad.json()) == {"code", "message", "fields"}
    page = login_client(city["leader"]).get("/stats/", {"period": "decade"})
    assert page.status_code == 400 and "统计周期" in page.content.decode()


def test_api_summary_breakdown_and_drilldown_agree(city) -> None:  # type: ignore[no-untyped-def]
    c = login_client(city["leader"])
    summary = c.get("/api/v1/stats/summary/", YEAR).json()
    kpi = {k["code"]: k for k in summary["kpis"]}
    assert {"received", "closure_rate", "on_time_rate", "satisfaction_rate", "handle_hours"} <= set(kpi)
    assert {"open", "overdue", "due_soon", "received_today"} == set(summary["live"])
    towns = c.get("/api/v1/stats/breakdown/", {**YEAR, "by": "township"}).json()["rows"]
    assert sum(t["received"] for t in towns) == kpi["received"]["value"]
    channels = c.get("/api/v1/stats/breakdown/", {**YEAR, "by": "channel"}).json()["rows"]
    assert sum(r["received"] for r in channels) == kpi["received"]["value"]
    grids = c.get("/api/v1/stats/breakdown/", {**YEAR, "by": "grid"}).json()["rows"]
    assert all(len(r["key"]) == 15 for r in grids)
    trend = c.get("/api/v1/stats/breakdown/", {**YEAR, "by": "trend"}).json()["rows"]
    assert len(trend) == 12 and sum(r["received"] for r in trend) == kpi["received"]["value"]
    listed = c.get("/api/v1/stats/cases/", {**YEAR, "measure": "closed"}).json()
    assert listed["count"] == kpi["closed"]["value"]
    assert c.get("/api/v1/stats/breakdown/", {"by": "nothing"}).json()["code"] == "invalid_breakdown"


def test_exports_are_chinese_masked_limited_and_audited(city, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    c = login_client(city["leader"])
    monkeypatch.setenv("CIVICGRID_EXPORT_AUDIT_ROWS", "5")
    before = AuditEntry.objects.filter(action="stats.export").count()
    response = c.get("/stats/export/cases.xlsx", {**YEAR, "period": "custom", "start": "2024-01-01",
                                                  "end": "2026-12-31", "measure": "received"})
    assert response.status_code == 200
    ws = load_workbook(BytesIO(response.content)).active
    assert [cell.value for cell in ws[2]][:3] == ["事件编号", "标题", "事项分类"]
    rows = list(ws.iter_rows(min_row=3, values_only=True))
    assert len(rows) == Case.objects.filter(area_code__startswith="640202").count()
    phones = {r[7] for r in rows}
    assert "13812345678" not in phones and "138****5678" in phones
    assert "张**" in {r[6] for r in rows}
    assert isinstance(rows[0][8], dt.datetime)
    assert AuditEntry.objects.filter(action="stats.export").count() == before + 1
    kpis = load_workbook(BytesIO(c.get("/stats/export/kpis.xlsx", YEAR).content)).active
    assert kpis["A3"].value == "受理数"
    towns = load_workbook(BytesIO(c.get("/stats/export/townships.xlsx", YEAR).content)).active
    assert towns["B2"].value == "乡镇（街道）"
    monkeypatch.setenv("CIVICGRID_EXPORT_ROW_LIMIT", "3")
    refused = c.get("/stats/export/cases.xlsx", {**YEAR, "measure": "received"})
    assert refused.status_code == 400 and "导出最多 3 行" in refused.content.decode()
    assert c.get("/stats/export/secrets.xlsx", YEAR).status_code == 404
