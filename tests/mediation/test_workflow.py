"""The dispute workflow through the real services: the whole loop, refusals, deadlines."""

from __future__ import annotations

from decimal import Decimal

import pytest

from civicgrid.accounts.models import User
from civicgrid.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from civicgrid.mediation import services
from civicgrid.mediation.models import (
    Agreement,
    Dispute,
    DisputeEvent,
    FollowUp,
    Level,
    Performance,
    Session,
    State,
)
from civicgrid.mediation.selectors import disputes_visible_to
from civicgrid.mediation.services import PartyInput
from civicgrid.mediation.workflow import actions_for
from tests.mediation.flows import PARTIES, county_mediator, cun, grid_of, reported, to_state

pytestmark = pytest.mark.django_db


def _events(d: Dispute) -> list[tuple[str, str, str, str]]:
    return list(DisputeEvent.objects.filter(dispute=d).order_by("id")
                .values_list("action", "from_state", "to_state", "level"))


def test_village_fails_township_resolves_follow_up_and_close(cast: dict[str, User]) -> None:
    d = reported(cast)
    assert d.state == State.REGISTERED and d.level == Level.VILLAGE and d.source == "grid"
    assert d.due_at is not None and d.due_at > d.created_at
    village = cun(cast)
    services.accept(actor=village, dispute_id=d.pk)
    services.record_session(actor=village, dispute_id=d.pk, place="长胜村调委会",
                            mediators="村调解员", attendees="双方当事人", notes="双方各执一词")
    services.fail(actor=village, dispute_id=d.pk, reason="对排水沟归属分歧较大")
    d = services.escalate(actor=village, dispute_id=d.pk, reason="需乡镇司法所协调")
    assert (d.state, d.level, d.escalation_count, d.start_level) == (
        State.ACCEPTED, Level.TOWNSHIP, 1, Level.VILLAGE)
    assert d.mediator_id is None and d.mediation_due_at is not None
    township = cast["mediator"]
    assert actions_for(township, d) == ["session", "escalate", "assess_risk"]
    assert actions_for(village, d) == []  # it went up: the village follows, no longer acts
    with pytest.raises(PermissionDenied):
        services.record_session(actor=village, dispute_id=d.pk, place="村委会", mediators="村调解员",
                                notes="再调一次")
    assert disputes_visible_to(village).filter(pk=d.pk).exists()
    services.record_session(actor=township, dispute_id=d.pk, place="长胜街道司法所",
                            mediators="陈秀兰", notes="现场查看后双方同意改道")
    d = services.resolve(actor=township, dispute_id=d.pk, terms="李德福十日内将排水沟改道",
                         performance_method="十日内自行改道")
    assert d.state == State.RESOLVED and d.resolved_on_time is True
    assert d.mediator_id == township.pk
    agreement = Agreement.objects.get(dispute=d)
    assert agreement.level == Level.TOWNSHIP and agreement.number.endswith(d.code)
    with pytest.raises(Conflict) as refused:  # nothing to close before a follow-up
        services.close(actor=township, dispute_id=d.pk)
    assert refused.value.code == "illegal_transition"
    services.follow_up(actor=township, dispute_id=d.pk, notes="尚未改道", performance="pending")
    with pytest.raises(Conflict) as refused:
        services.close(actor=township, dispute_id=d.pk)
    assert refused.value.code == "agreement_not_performed"
    services.follow_up(actor=township, dispute_id=d.pk, notes="已改道", performance="fulfilled")
    d = services.close(actor=township, dispute_id=d.pk, note="协议已履行")
    assert d.state == State.CLOSED and d.closed_at is not None and d.due_at is None
    assert Agreement.objects.get(dispute=d).performance == Performance.FULFILLED
    assert FollowUp.objects.filter(dispute=d).count() == 2
    assert list(Session.objects.filter(dispute=d).values_list("level", flat=True)) == [
        Level.VILLAGE, Level.TOWNSHIP]
    assert _events(d) == [
        ("register", "", "registered", "village"),
        ("accept", "registered", "accepted", "village"),
        ("session", "accepted", "mediating", "village"),
        ("fail", "mediating", "unresolved", "village"),
        ("escalate", "unresolved", "accepted", "township"),
        ("session", "accepted", "mediating", "township"),
        ("resolve", "mediating", "resolved", "township"),
        ("follow_up", "resolved", "followed_up", "township"),
        ("follow_up", "followed_up", "followed_up", "township"),
        ("close", "followed_up", "closed", "township"),
    ]
    assert d.version == 9


def test_illegal_moves_are_conflicts_and_change_nothing(cast: dict[str, User]) -> None:
    d = to_state(cast, State.REGISTERED)
    m = cun(cast)
    for call in (lambda: services.resolve(actor=m, dispute_id=d.pk, terms="x"),
                 lambda: services.follow_up(actor=m, dispute_id=d.pk, notes="x"),
                 lambda: services.refer(actor=m, dispute_id=d.pk, referral="litigation")):
        with pytest.raises(Conflict) as refused:
            call()
        assert refused.value.code == "illegal_transition"
    fresh = Dispute.objects.get(pk=d.pk)
    assert (fresh.state, fresh.version) == (State.REGISTERED, 0)
    assert DisputeEvent.objects.filter(dispute=d).count() == 1


def test_stale_version_is_a_conflict(cast: dict[str, User]) -> None:
    d = to_state(cast, State.REGISTERED)
    with pytest.raises(Conflict) as refused:
        services.accept(actor=cun(cast), dispute_id=d.pk, expected_version=3)
    assert refused.value.code == "stale_version"


def test_county_level_cannot_go_higher(cast: dict[str, User]) -> None:
    d = reported(cast, level="county")
    with pytest.raises(PermissionDenied):  # a township mediator does not act at county level
        services.accept(actor=cast["mediator"], dispute_id=d.pk)
    county = county_mediator()
    services.accept(actor=county, dispute_id=d.pk)
    assert "escalate" not in actions_for(county, Dispute.objects.get(pk=d.pk))
    with pytest.raises(Conflict) as refused:
        services.escalate(actor=county, dispute_id=d.pk, reason="x")
    assert refused.value.code == "top_level"
    assert Dispute.objects.get(pk=d.pk).level == Level.COUNTY


def test_who_may_do_what(cast: dict[str, User]) -> None:
    d = to_state(cast, State.REGISTERED)
    # a grid member registers but does not mediate; the leader watches; a department sees nothing
    with pytest.raises(PermissionDenied):
        services.accept(actor=cast["grid"], dispute_id=d.pk)
    with pytest.raises(PermissionDenied):
        services.accept(actor=cast["leader"], dispute_id=d.pk)
    with pytest.raises(NotFound):
        services.accept(actor=cast["dept"], dispute_id=d.pk)
    assert actions_for(cast["grid"], d) == []
    assert disputes_visible_to(cast["leader"]).filter(pk=d.pk).exists()
    assert not disputes_visible_to(cast["resident"]).filter(pk=d.pk).exists()
    # a mediator of another township neither sees nor acts
    other_grid = grid_of("640202002")
    other = services.register_dispute(actor=cast["center"], dispute_type="debt", summary="欠款",
                                      parties=PARTIES[:1], grid_code=other_grid.code)
    with pytest.raises(NotFound):
        services.accept(actor=cast["mediator"], dispute_id=other.pk)
    # nor does a grid member register in a grid that is not theirs
    with pytest.raises(PermissionDenied):
        services.register_dispute(actor=cast["grid"], dispute_type="debt", summary="欠款",
                                  parties=PARTIES[:1], grid_code=other_grid.code)


@pytest.mark.parametrize(("kwargs", "code"), [
    ({"dispute_type": "nonsense"}, "invalid_dispute_type"),
    ({"summary": "  "}, "required"),
    ({"parties": []}, "parties_required"),
    ({"risk": "major", "risk_reasons": ""}, "required"),
    ({"people_count": 0}, "invalid_people_count"),
    ({"grid_code": "999"}, "unknown_grid"),
    ({"people_count": 10**10}, "invalid_people_count"),
    ({"amount": Decimal("1e15")}, "invalid_amount"),
    ({"address": "长" * 201}, "too_long"),
    ({"parties": [PartyInput(name="马" * 101)]}, "too_long"),
])
def test_bad_registrations_are_refused_clearly(cast: dict[str, User], kwargs: dict, code: str) -> None:
    args = {"dispute_type": "neighbour", "summary": "纠纷", "parties": PARTIES,
            "grid_code": grid_of().code, **kwargs}
    with pytest.raises(ValidationFailed) as refused:
        services.register_dispute(actor=cast["grid"], **args)
    assert refused.value.code == code and refused.value.message
    assert not Dispute.objects.filter(summary="纠纷").exists()


def test_referral_closes_without_agreement(cast: dict[str, User]) -> None:
    d = to_state(cast, State.REFERRED)
    assert d.referral == "litigation"
    m = cun(cast)
    with pytest.raises(ValidationFailed):
        services.follow_up(actor=m, dispute_id=d.pk, notes="已起诉", performance="fulfilled")
    services.follow_up(actor=m, dispute_id=d.pk, notes="当事人已向法院起诉")
    assert services.close(actor=m, dispute_id=d.pk).state == State.CLOSED


def test_long_session_fields_are_refused_not_cut(cast: dict[str, User]) -> None:
    d = to_state(cast, State.ACCEPTED)
    with pytest.raises(ValidationFailed) as refused:
        services.record_session(actor=cun(cast), dispute_id=d.pk, place="室" * 101, mediators="x",
                                notes="x")
    assert refused.value.code == "too_long" and refused.value.fields == {"place": ["<= 100"]}
