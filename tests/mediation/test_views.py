"""The dispute pages: lists, registration, detail with masked parties, actions, PDF,
screening and statistics — for mediators, grid members, centres and the leader."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from civicgrid.accounts.models import User
from civicgrid.mediation.kpis import dispute_kpis, query
from civicgrid.mediation.models import Dispute, ScreeningReport, State
from tests.mediation.flows import cun, grid_of, to_state

pytestmark = pytest.mark.django_db


def page(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_lists_for_every_role_that_watches_disputes(cast: dict[str, User]) -> None:
    for who in ("mediator", "leader", "street", "center", "grid"):
        response = page(cast[who]).get("/disputes/?tab=mediating")
        assert response.status_code == 200, who
    watch = page(cast["leader"]).get("/disputes/?tab=watch").content.decode()
    assert 'data-testid="dispute-row"' in watch and "重大" in watch
    assert page(cast["dept"]).get("/disputes/").status_code == 403
    assert page(cast["resident"]).get("/disputes/").status_code == 403


def test_a_grid_member_registers_on_the_phone_form(cast: dict[str, User]) -> None:
    client = page(cast["grid"])
    form = client.get("/disputes/new/").content.decode()
    assert grid_of().code in form
    response = client.post("/disputes/new/", {
        "grid": grid_of().code, "dispute_type": "family", "risk": "low", "summary": "赡养纠纷",
        "people_count": "3", "party0_name": "马建军", "party0_phone": "13812345678",
        "party0_id_number": "640202198501011234", "party1_name": "马建国"})
    d = Dispute.objects.get(summary="赡养纠纷")
    assert response.status_code == 302 and response["Location"] == f"/disputes/{d.pk}/"
    body = client.get(f"/disputes/{d.pk}/").content.decode()
    assert "138****5678" in body and "13812345678" not in body
    assert "6402**********1234" in body and "640202198501011234" not in body


def test_a_refused_registration_keeps_the_text_and_says_why(cast: dict[str, User]) -> None:
    response = page(cast["grid"]).post("/disputes/new/", {
        "grid": grid_of().code, "dispute_type": "family", "risk": "major", "summary": "打架",
        "people_count": "2", "party0_name": "马建军"})
    body = response.content.decode()
    assert response.status_code == 400 and "风险研判理由" in body and "打架" in body


def test_actions_on_the_detail_page(cast: dict[str, User]) -> None:
    d = to_state(cast, State.REGISTERED)
    village = page(cun(cast))
    body = village.get(f"/disputes/{d.pk}/").content.decode()
    assert 'data-testid="do-accept"' in body and 'data-testid="do-resolve"' not in body
    assert village.post(f"/disputes/{d.pk}/act/accept/", {"version": "0"}).status_code == 302
    stale = village.post(f"/disputes/{d.pk}/act/accept/", {"version": "0"})
    assert stale.status_code == 409 and "已被他人处理" in stale.content.decode()
    assert page(cast["grid"]).post(f"/disputes/{d.pk}/act/session/", {
        "place": "x", "mediators": "x", "notes": "x"}).status_code == 403
    assert page(cast["dept"]).get(f"/disputes/{d.pk}/").status_code == 404


def test_the_agreement_pdf(cast: dict[str, User]) -> None:
    d = to_state(cast, State.RESOLVED)
    response = page(cast["mediator"]).get(f"/disputes/{d.pk}/agreement.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF") and len(response.content) > 2000
    open_one = to_state(cast, State.MEDIATING)
    assert page(cast["mediator"]).get(f"/disputes/{open_one.pk}/agreement.pdf").status_code == 404
    assert page(cast["dept"]).get(f"/disputes/{d.pk}/agreement.pdf").status_code == 404


def test_screening_zero_report_and_missing_grids(cast: dict[str, User]) -> None:
    code = grid_of().code
    township = page(cast["street"]).get("/disputes/screening/").content.decode()
    assert code in township  # not reported yet: the township sees it
    client = page(cast["grid"])
    assert client.post("/disputes/screening/", {"grid": code, "zero_report": "1"}).status_code == 302
    assert ScreeningReport.objects.filter(grid_code=code, zero_report=True).exists()
    assert "已报零报告" in client.get("/disputes/screening/").content.decode()
    again = client.post("/disputes/screening/", {"grid": code, "zero_report": "1"})
    assert again.status_code == 409


def test_stats_page_shows_the_exact_counts(cast: dict[str, User]) -> None:
    body = page(cast["leader"]).get("/disputes/stats/?by=township").content.decode()
    [row] = dispute_kpis(query(cast["leader"]))
    assert f'data-testid="screened">{row.screened}<' in body
    assert f"{row.resolution_rate * 100:.2f} %" in body
    assert 'data-level="village"' in body


def test_stats_page_filters_and_every_number_opens_its_disputes(cast: dict[str, User]) -> None:
    import html
    import re

    from django.utils import timezone

    leader = page(cast["leader"])
    since, until = timezone.localdate() - dt.timedelta(days=365), timezone.localdate()
    url = f"/disputes/stats/?by=mediator&level=village&since={since}&until={until}"
    body = leader.get(url).content.decode()
    dq = query(cast["leader"], level="village", since=since, until=until)
    [total] = dispute_kpis(dq)
    assert total.screened > 0
    links = dict(re.findall(r'<a href="([^"]+)" data-testid="(screened|accepted|resolved)">', body))
    found = {name: html.unescape(href) for href, name in links.items()}
    for name, expected in (("screened", total.screened), ("resolved", total.resolved)):
        listed = leader.get(found[name]).content.decode()
        assert f'data-testid="count">共 {expected} 件<' in listed, name
    rows = dispute_kpis(dq, by="mediator")
    assert len(rows) > 1 and f'data-key="{rows[0].key}"' in body
    # a mediator's row fixes that mediator
    mine = leader.get(f"/disputes/stats/?mediator={rows[0].key}&level=village").content.decode()
    assert 'data-testid="mediator-filter"' in mine
    # bad input: a clear Chinese message, never a 500; another township's area: 404
    bad = leader.get("/disputes/stats/?since=2026-13-01")
    assert bad.status_code == 400 and "日期格式应为" in bad.content.decode()
    assert leader.get("/disputes/stats/disputes/?measure=weather").status_code == 400
    assert page(cast["street"]).get("/disputes/stats/?area=640202002").status_code == 404
    assert page(cast["dept"]).get("/disputes/stats/disputes/?measure=screened").status_code == 403


def test_the_case_page_links_to_its_dispute(cast: dict[str, User]) -> None:
    from tests.mediation.test_risk_and_links import _dispute_case

    case_id = _dispute_case(cast)
    street = page(cast["street"])
    body = street.get(f"/cases/{case_id}/").content.decode()
    assert f"/disputes/new/?case={case_id}" in body
    form = street.get(f"/disputes/new/?case={case_id}").content.decode()
    assert 'data-testid="from-case"' in form
    response = street.post(f"/disputes/new/?case={case_id}", {
        "case": str(case_id), "risk": "medium", "people_count": "12", "party0_name": "工人代表",
        "party1_name": "某建筑公司", "party1_kind": "organisation"})
    d = Dispute.objects.get(case_id=case_id)
    assert response.status_code == 302 and d.dispute_type == "labour"
    body = street.get(f"/cases/{case_id}/").content.decode()
    assert f"/disputes/{d.pk}/" in body and "/disputes/new/?case=" not in body
    assert "dispute-links" not in page(cast["dept"]).get(f"/cases/{case_id}/").content.decode()


def test_home_pages_list_dispute_work(cast: dict[str, User]) -> None:
    mediator = page(cast["mediator"]).get("/").content.decode()
    assert "/disputes/?tab=mediating" in mediator  # the 查看全部 link under 调解中的纠纷
    leader = page(cast["leader"]).get("/").content.decode()
    assert "重点关注纠纷" in leader and "/disputes/?tab=watch" in leader


def test_unmasking_is_for_mediators_and_is_audited(cast: dict[str, User]) -> None:
    from civicgrid.core.models import AuditEntry

    d = to_state(cast, State.ACCEPTED)
    response = page(cast["mediator"]).post(f"/disputes/{d.pk}/parties/")
    body = response.content.decode()
    assert response.status_code == 200 and "13812345678" in body and 'data-testid="revealed"' in body
    assert response["Cache-Control"] == "private, no-store"
    assert AuditEntry.objects.filter(action="mediation.unmask", target=f"dispute:{d.code}",
                                     actor=cast["mediator"]).exists()
    assert page(cast["grid"]).post(f"/disputes/{d.pk}/parties/").status_code == 403
    assert page(cast["leader"]).post(f"/disputes/{d.pk}/parties/").status_code == 403
    assert page(cast["dept"]).post(f"/disputes/{d.pk}/parties/").status_code == 404
    assert "13812345678" not in page(cast["mediator"]).get(f"/disputes/{d.pk}/").content.decode()


def test_the_pages_in_english(cast: dict[str, User]) -> None:
    d = to_state(cast, State.RESOLVED)
    client = page(cast["mediator"])
    client.cookies["django_language"] = "en"
    body = client.get(f"/disputes/{d.pk}/").content.decode()
    assert "Neighbours" in body and "Resolved" in body and "Mediation agreement" in body
    stats = client.get("/disputes/stats/?by=level").content.decode()
    assert "Resolution rate" in stats
    assert stats.index("Village (community)") < stats.index("County (district)")
    assert client.get("/disputes/screening/").status_code == 200
    pdf = client.get(f"/disputes/{d.pk}/agreement.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
