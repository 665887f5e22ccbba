"""排查: one report per grid and period (零报告 when nothing was found), missing ones visible."""

from __future__ import annotations

import datetime as dt

import pytest

from civicgrid.accounts.models import User
from civicgrid.core.errors import Conflict, PermissionDenied, ValidationFailed
from civicgrid.mediation import services
from civicgrid.mediation.selectors import missing_screening
from tests.mediation.flows import PARTIES, grid_of

pytestmark = pytest.mark.django_db


def test_a_zero_report_once_per_period_and_the_township_sees_who_is_missing(
        cast: dict[str, User]) -> None:
    code = grid_of().code
    period = services.current_period()
    assert missing_screening(cast["street"], period).filter(code=code).exists()
    report = services.submit_screening(actor=cast["grid"], grid_code=code, zero_report=True)
    assert report.period == period and report.zero_report
    assert not missing_screening(cast["street"], period).filter(code=code).exists()
    with pytest.raises(Conflict) as again:
        services.submit_screening(actor=cast["grid"], grid_code=code, zero_report=True)
    assert again.value.code == "screening_exists"
    # a dispute cannot be filed under a period that reported nothing
    with pytest.raises(Conflict) as refused:
        services.register_dispute(actor=cast["grid"], dispute_type="debt", summary="欠款",
                                  parties=PARTIES, grid_code=code, screening_id=report.pk)
    assert refused.value.code == "zero_report_filed"


def test_found_disputes_link_to_their_report(cast: dict[str, User]) -> None:
    code = grid_of().code
    # a period before the demo's history: no report yet
    last = services.period_of(services.current_period() - dt.timedelta(days=3 * 365))
    report = services.submit_screening(actor=cast["grid"], grid_code=code, zero_report=False,
                                       notes="发现邻里纠纷 1 件", period=last)
    d = services.register_dispute(actor=cast["grid"], dispute_type="neighbour", summary="排水",
                                  parties=PARTIES, grid_code=code, screening_id=report.pk)
    assert d.source == "screening" and d.screening_id == report.pk


def test_refusals(cast: dict[str, User]) -> None:
    code = grid_of().code
    with pytest.raises(ValidationFailed) as future:
        services.submit_screening(actor=cast["grid"], grid_code=code, zero_report=True,
                                  period=services.current_period() + dt.timedelta(days=40))
    assert future.value.code == "future_period"
    with pytest.raises(ValidationFailed) as silent:
        services.submit_screening(actor=cast["grid"], grid_code=code, zero_report=False)
    assert silent.value.fields == {"notes": ["必填"]}
    with pytest.raises(PermissionDenied):
        services.submit_screening(actor=cast["grid"], grid_code=grid_of("640202002").code,
                                  zero_report=True)
    assert not missing_screening(cast["dept"], services.current_period()).exists()


def test_the_period_length_is_a_setting(settings) -> None:  # type: ignore[no-untyped-def]
    assert services.period_of(dt.date(2026, 5, 17)) == dt.date(2026, 5, 1)
    settings.MEDIATION_SCREENING_MONTHS = 3
    assert services.period_of(dt.date(2026, 5, 17)) == dt.date(2026, 4, 1)
    assert services.period_of(dt.date(2026, 12, 31)) == dt.date(2026, 10, 1)
    settings.MEDIATION_SCREENING_MONTHS = 5
    with pytest.raises(ValueError):
        services.period_of(dt.date(2026, 5, 17))
