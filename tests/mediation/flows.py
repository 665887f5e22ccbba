"""Helpers for dispute tests: bring a real dispute to a state through the real services."""

from __future__ import annotations

from civicgrid.accounts.models import User
from civicgrid.areas.models import Grid
from civicgrid.demo.disputes import village_mediator
from civicgrid.mediation import services
from civicgrid.mediation.models import Dispute, Performance, State
from civicgrid.mediation.services import PartyInput

PARTIES = [
    PartyInput(name="马建军", side="applicant", id_number="640202198501011234",
               phone="13812345678", address="长胜街道长胜村三组12号"),
    PartyInput(name="李德福", side="respondent", id_number="640202197903035678",
               phone="13987654321", address="长胜街道长胜村三组14号"),
]


def grid_of(prefix: str = "640202001") -> Grid:
    grid = Grid.objects.current().filter(code__startswith=prefix).order_by("code").first()
    assert grid is not None
    return grid


def reported(cast: dict[str, User], *, by: str = "grid", risk: str = "low",
             grid: Grid | None = None, **kwargs: object) -> Dispute:
    return services.register_dispute(
        actor=cast[by], dispute_type="neighbour", summary="两户因院墙排水沟归属发生争执",
        parties=PARTIES, risk=risk, risk_reasons="双方曾发生肢体冲突" if risk in ("high", "major") else "",
        grid_code=(grid or grid_of()).code, **kwargs)  # type: ignore[arg-type]


def cun(cast: dict[str, User]) -> User:
    """The village mediator of the ``grid`` user's grid."""
    return village_mediator(grid_of().village)


def county_mediator() -> User:
    """The district's mediator (the demo creates one per level)."""
    return User.objects.get(username="tiaojie-640202")


def mediator_at(cast: dict[str, User], level: str) -> User:
    return {"village": cun(cast), "township": cast["mediator"], "county": county_mediator()}[level]


def to_state(cast: dict[str, User], state: str) -> Dispute:
    """A fresh dispute of the 长胜街道 grid brought to ``state`` along the usual path."""
    d = reported(cast)
    m = cun(cast)
    if state == State.REGISTERED:
        return d
    if state == State.DECLINED:
        return services.decline(actor=m, dispute_id=d.pk, reason="不属于民间纠纷")
    services.accept(actor=m, dispute_id=d.pk)
    if state == State.ACCEPTED:
        return Dispute.objects.get(pk=d.pk)
    services.record_session(actor=m, dispute_id=d.pk, place="村调委会", mediators="村调解员",
                            notes="双方陈述")
    if state == State.MEDIATING:
        return Dispute.objects.get(pk=d.pk)
    if state == State.UNRESOLVED or state == State.REFERRED:
        services.fail(actor=m, dispute_id=d.pk, reason="分歧较大")
        if state == State.REFERRED:
            services.refer(actor=m, dispute_id=d.pk, referral="litigation")
        return Dispute.objects.get(pk=d.pk)
    services.resolve(actor=m, dispute_id=d.pk, terms="李德福于十日内改道排水沟")
    if state == State.RESOLVED:
        return Dispute.objects.get(pk=d.pk)
    services.follow_up(actor=m, dispute_id=d.pk, notes="已改道", performance=Performance.FULFILLED)
    if state == State.FOLLOWED_UP:
        return Dispute.objects.get(pk=d.pk)
    assert state == State.CLOSED
    return services.close(actor=m, dispute_id=d.pk)
