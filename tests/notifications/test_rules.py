"""Who gets what, after commit, through the real case services and the real receivers."""

from __future__ import annotations

import pytest

from civicgrid.cases import services
from civicgrid.notifications.models import Kind, Notification, OutboundMessage
from tests.notifications.helpers import inbox, report, topics


@pytest.fixture
def committed(django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    """Run the on-commit callbacks of the block (the test transaction never commits)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def test_the_whole_loop_notifies_the_next_person(cast, committed):
    street, dept, grid, resident = cast["street"], cast["dept"], cast["grid"], cast["resident"]
    with committed():
        case = report(resident, channel="portal", phone="13800001111")
    assert topics(street, case) == ["report"]
    assert inbox(street, case)[0][1] == Kind.TODO and case.code in inbox(street, case)[0][2]
    assert topics(cast["center"], case) == []  # the district centre does not own it

    with committed():
        services.register(actor=street, case_id=case.pk)
        services.dispatch(actor=street, case_id=case.pk)
    assert topics(dept, case) == ["dispatch"]
    assert topics(street, case) == ["report"]  # no notice of one's own action

    with committed():
        services.sign(actor=dept, case_id=case.pk)
        services.handle(actor=dept, case_id=case.pk, result="已清运")
    assert inbox(grid, case)[-1][:2] == ("handle", Kind.TODO)  # the grid member verifies
    assert topics(street, case) == ["report", "handle"]

    with committed():
        services.verify(actor=grid, case_id=case.pk, passed=False, note="还有残留")
    assert topics(dept, case) == ["dispatch", "verify_fail"]

    with committed():
        services.handle(actor=dept, case_id=case.pk, result="已彻底清理")
        services.verify(actor=grid, case_id=case.pk, passed=True)
    assert topics(resident, case) == ["verify_pass"]
    assert "请对办理结果进行评价" in inbox(resident, case)[0][2]
    sms = OutboundMessage.objects.get(case=case, channel="sms")
    assert sms.recipient == "13800001111" and "评价" in sms.body and sms.status == "pending"


def test_merge_informs_both_reporters(cast, committed):
    with committed():
        target = report(cast["resident"], channel="portal")
        dup = report(cast["hotline"], channel="hotline", phone="13900002222")
        services.merge(actor=cast["street"], case_id=dup.pk, into=target.pk)
    assert topics(cast["resident"], dup) == ["merge"]  # the target's reporter
    assert topics(cast["hotline"], dup) == ["merge"]  # the merged case's reporter
    assert target.code in inbox(cast["resident"], dup)[0][2]
    assert OutboundMessage.objects.filter(case=dup, recipient="13900002222").count() == 1


def test_supervise_reaches_department_and_centre_and_escalate_the_new_owner(cast, committed):
    with committed():
        case = report(cast["grid"])
        services.register(actor=cast["street"], case_id=case.pk)
        services.dispatch(actor=cast["street"], case_id=case.pk)
        services.supervise(actor=cast["leader"], case_id=case.pk, level=2, note="尽快办理")
    assert topics(cast["dept"], case) == ["dispatch", "supervise"]
    assert topics(cast["street"], case)[-1] == "supervise"
    assert "重点督办" in inbox(cast["dept"], case)[-1][2]

    with committed():
        other = report(cast["grid"], title="占道经营")
        services.escalate(actor=cast["street"], case_id=other.pk, reason="涉及多个街道")
    assert topics(cast["center"], other) == ["escalate"]


def test_returned_goes_back_to_the_owner_centre(cast, committed):
    with committed():
        case = report(cast["grid"])
        services.register(actor=cast["street"], case_id=case.pk)
        services.dispatch(actor=cast["street"], case_id=case.pk)
        services.return_case(actor=cast["dept"], case_id=case.pk, reason="不属于城管职责")
    assert topics(cast["street"], case) == ["report", "return"]
    assert Notification.objects.get(user=cast["street"], topic="return").body == "不属于城管职责"


def test_nothing_is_stored_when_the_action_rolls_back(cast):
    # without a commit the receivers never run: a notice never outlives a failed action
    case = report(cast["grid"])
    services.register(actor=cast["street"], case_id=case.pk)
    assert not Notification.objects.filter(case=case).exists()
