"""High/重大 risk alerts the leader and the centres at once; disputes from dispute cases."""

from __future__ import annotations

import pytest

from civicgrid.accounts.models import User
from civicgrid.cases.intake import Report, report_case
from civicgrid.core.errors import Conflict, NotFound
from civicgrid.core.models import AuditEntry
from civicgrid.mediation import services
from civicgrid.mediation.models import Source, State
from civicgrid.mediation.selectors import disputes_of_case, watch_list
from civicgrid.notifications.models import Notification
from tests.mediation.flows import PARTIES, cun, grid_of, reported

pytestmark = pytest.mark.django_db


def _alerted(code: str) -> set[str]:
    return set(Notification.objects.filter(topic="dispute_risk", title__contains=code)
               .values_list("user__username", flat=True))


def test_major_risk_alerts_leader_and_centres_at_once(cast: dict[str, User],
                                                      django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        d = reported(cast, risk="major")
    told = _alerted(d.code)
    assert {"leader", "center", "street"} <= told
    assert not told & {"grid", "dept", "resident", "hotline"}
    assert Notification.objects.filter(topic="dispute_risk", user=cast["leader"], kind="todo",
                                       title__contains="重大").exists()
    # on the watch list until closed
    assert watch_list(cast["leader"]).filter(pk=d.pk).exists()
    with django_capture_on_commit_callbacks(execute=True):  # the same risk again: no new alert
        services.assess_risk(actor=cast["mediator"], dispute_id=d.pk, risk="major", reasons="仍在对峙")
    assert Notification.objects.filter(topic="dispute_risk", user=cast["leader"],
                                       title__contains=d.code).count() == 1


def test_low_risk_raised_to_high_alerts_and_is_audited(cast: dict[str, User],
                                                       django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        d = reported(cast)
    assert _alerted(d.code) == set()
    assert not watch_list(cast["leader"]).filter(pk=d.pk).exists()
    with django_capture_on_commit_callbacks(execute=True):
        services.assess_risk(actor=cast["mediator"], dispute_id=d.pk, risk="high",
                             reasons="一方扬言报复")
    assert "leader" in _alerted(d.code)
    assert AuditEntry.objects.filter(action="mediation.risk", target=f"dispute:{d.code}").exists()
    assert watch_list(cast["street"]).filter(pk=d.pk).exists()


def test_closed_disputes_leave_the_watch_list(cast: dict[str, User]) -> None:
    d = reported(cast, risk="high")
    m = cun(cast)
    services.decline(actor=m, dispute_id=d.pk, reason="已由法院受理")
    assert not watch_list(cast["leader"]).filter(pk=d.pk).exists()


def _dispute_case(cast: dict[str, User], category: str = "jiufen-laozi") -> int:
    grid = grid_of()
    return report_case(actor=cast["grid"], report=Report(
        channel="grid", title="工地拖欠农民工工资", description="12名工人被拖欠三个月工资",
        category=category, grid_code=grid.code, lng=grid.centroid_lng,
        lat=grid.centroid_lat)).pk


def test_a_dispute_case_becomes_a_linked_dispute_once(cast: dict[str, User]) -> None:
    case_id = _dispute_case(cast)
    d = services.register_from_case(actor=cast["street"], case_id=case_id, parties=PARTIES,
                                    people_count=12)
    assert (d.case_id, d.source, d.dispute_type, d.state) == (case_id, Source.CASE, "labour",
                                                               State.REGISTERED)
    assert d.area_code == grid_of().code and "拖欠" in d.summary
    assert list(disputes_of_case(cast["mediator"], case_id)) == [d]
    assert list(disputes_of_case(cast["dept"], case_id)) == []
    with pytest.raises(Conflict) as refused:
        services.register_from_case(actor=cast["street"], case_id=case_id, parties=PARTIES)
    assert refused.value.code == "dispute_exists_for_case"


def test_only_dispute_cases_and_visible_ones_convert(cast: dict[str, User]) -> None:
    case_id = _dispute_case(cast, category="shirong-laji")
    with pytest.raises(Conflict) as refused:
        services.register_from_case(actor=cast["street"], case_id=case_id, parties=PARTIES)
    assert refused.value.code == "case_not_dispute"
    with pytest.raises(NotFound):
        services.register_from_case(actor=cast["resident"], case_id=_dispute_case(cast),
                                    parties=PARTIES)


def test_the_alert_in_the_inbox_leads_to_the_dispute(cast: dict[str, User],
                                                     django_capture_on_commit_callbacks) -> None:
    from django.test import Client

    with django_capture_on_commit_callbacks(execute=True):
        d = reported(cast, risk="major")
    item = Notification.objects.get(user=cast["leader"], topic="dispute_risk", title__contains=d.code)
    client = Client()
    client.force_login(cast["leader"])
    opened = client.post(f"/inbox/{item.pk}/read/", {"open": "1", "next": "/inbox/"})
    assert opened.status_code == 302 and opened["Location"] == f"/disputes/{d.pk}/"
