"""考核: scores from weights and targets with the raw figures, publishing freezes the table."""

from __future__ import annotations

import datetime as dt
from io import BytesIO

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from civicgrid.cases import services as case_services
from civicgrid.cases.models import Case, State
from civicgrid.core.models import AuditEntry
from civicgrid.demo.cases import build_cases
from civicgrid.stats import assessment, kpis, rollups
from civicgrid.stats.models import AssessmentScheme, PublishedAssessment
from civicgrid.stats.selectors import kpi_query, measures
from tests.accounts.conftest import login_client

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(dt.datetime(2026, 6, 15, 10, 0))
PERIOD = {"period": "year", "date": "2026-03-01", "area": "640202"}


@pytest.fixture
def city(cast):  # type: ignore[no-untyped-def]
    build_cases(300, seed=4, now=NOW)
    rollups.rebuild()
    return cast


def test_indicator_scores() -> None:
    closure, rework = kpis.get("closure_rate"), kpis.get("rework_rate")
    assert assessment.indicator_score(closure, 0.45, 30, 0.9) == 15.0
    assert assessment.indicator_score(closure, 0.99, 30, 0.9) == 30.0  # capped at the weight
    assert assessment.indicator_score(rework, 0.10, 15, 0.05) == 7.5  # lower is better
    assert assessment.indicator_score(rework, 0.0, 15, 0.05) == 15.0
    assert assessment.indicator_score(closure, None, 30, 0.9) == 0.0  # no data


def test_score_table_uses_the_township_figures(city) -> None:  # type: ignore[no-untyped-def]
    scheme = AssessmentScheme.objects.get(unit="township")
    q = kpi_query(city["leader"], PERIOD)
    table = assessment.score_table(scheme, q)
    assert len(table["rows"]) == 11 and [r["rank"] for r in table["rows"]] == list(range(1, 12))
    row = table["rows"][0]
    township = measures(kpi_query(city["leader"], {**PERIOD, "area": row["key"]}))
    expected = 0.0
    for ind, cell in zip(scheme.indicators.all(), row["cells"], strict=True):
        kpi = kpis.get(ind.kpi)
        value = kpi.value(township[kpi.numerator], township[kpi.denominator])
        assert cell["value"] == value and cell["numerator"] == township[kpi.numerator]
        expected += assessment.indicator_score(kpi, value, float(ind.weight), ind.target)
    assert row["total"] == round(expected, 2)
    assert table["rows"][0]["total"] >= table["rows"][-1]["total"]


def test_publishing_freezes_the_ranking(city) -> None:  # type: ignore[no-untyped-def]
    scheme = AssessmentScheme.objects.get(unit="township")
    leader = login_client(city["leader"])
    response = leader.post(f"/stats/assessment/?scheme={scheme.pk}", {**PERIOD, "scheme": scheme.pk})
    assert response.status_code == 302
    published = PublishedAssessment.objects.get()
    assert AuditEntry.objects.filter(action="assessment.publish", target=f"assessment:{published.pk}").exists()
    frozen = published.table
    # the data moves on: every closed case of the year in one township is reopened
    for case in Case.objects.filter(state=State.CLOSED, area_code__startswith=frozen["rows"][0]["key"],
                                    closed_at__year=2026)[:5]:
        case_services.callback(actor=None, case_id=case.pk, satisfaction=1)
    rollups.fold_all()
    draft = assessment.score_table(scheme, kpi_query(city["leader"], PERIOD))
    assert draft["rows"] != frozen["rows"]
    page = leader.get(f"/stats/assessment/published/{published.pk}/")
    assert page.status_code == 200
    assert PublishedAssessment.objects.get().table == frozen
    first = frozen["rows"][0]
    assert f'data-testid="total-{first["key"]}">{first["total"]:.2f}<' in page.content.decode()
    again = leader.post(f"/stats/assessment/?scheme={scheme.pk}", {**PERIOD, "scheme": scheme.pk})
    assert again.status_code == 409
    book = load_workbook(BytesIO(leader.get(f"/stats/assessment/published/{published.pk}.xlsx").content)).active
    assert book["A2"].value == "名次" and book["A3"].value == 1
    assert book.cell(row=3, column=book.max_column).value == first["total"]


def test_who_may_publish_and_see(city) -> None:  # type: ignore[no-untyped-def]
    scheme = AssessmentScheme.objects.get(unit="department")
    assert login_client(city["center"]).post("/stats/assessment/", {**PERIOD, "scheme": scheme.pk}).status_code == 403
    leader = login_client(city["leader"])
    assert leader.get("/stats/assessment/", {**PERIOD, "scheme": scheme.pk}).status_code == 200
    leader.post("/stats/assessment/", {**PERIOD, "scheme": scheme.pk})
    published = PublishedAssessment.objects.get()
    street = login_client(city["street"])
    assert street.get(f"/stats/assessment/published/{published.pk}/").status_code == 404  # district-wide
    assert login_client(city["grid"]).get("/stats/assessment/").status_code == 403
    export = leader.get("/stats/export/assessment.xlsx", {**PERIOD, "scheme": scheme.pk})
    assert export.status_code == 200
    assert load_workbook(BytesIO(export.content)).active["B2"].value == "单位"
