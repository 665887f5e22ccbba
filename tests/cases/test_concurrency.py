"""Two people acting on the same case at once: exactly one wins, the other gets a 409.

Real threads, each with its own database connection, released together by a barrier. On
PostgreSQL the loser waits on the row lock (SELECT … FOR UPDATE); on SQLite on the write
lock (BEGIN IMMEDIATE). Either way it then sees the new state and gets ``Conflict``.
"""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection

from civicgrid.accounts.models import User
from civicgrid.cases import services
from civicgrid.cases.models import Assignment, Case, CaseEvent, State
from civicgrid.core.errors import Conflict
from tests.cases.flows import dept, failing_timeline_insert, race, snapshot, to_state

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("demo_city")]



def _cast() -> dict[str, User]:
    return {u.username: u for u in User.objects.filter(username__in=["street", "center", "dept",
                                                                     "grid", "leader"])}


def test_two_operators_dispatch_the_same_case_at_once() -> None:
    cast = _cast()
    case = to_state(cast, State.REGISTERED)
    zhujian = dept("zhujian").pk
    results = race([
        lambda: services.dispatch(actor=User.objects.get(username="street"), case_id=case.pk),
        lambda: services.dispatch(actor=User.objects.get(username="center"), case_id=case.pk,
                                  lead=zhujian),
    ])
    won = [r for r in results if isinstance(r, Case)]
    lost = [r for r in results if isinstance(r, Exception)]
    assert len(won) == 1 and len(lost) == 1, results
    assert isinstance(lost[0], Conflict), repr(lost[0])  # not "database is locked"
    assert lost[0].code in ("illegal_transition", "busy") and lost[0].status == 409
    case.refresh_from_db()
    assert case.state == State.DISPATCHED and case.version == 2
    assert Assignment.objects.filter(case=case).count() == 1
    assert CaseEvent.objects.filter(case=case, action="dispatch").count() == 1


def test_many_racing_actions_leave_one_consistent_result() -> None:
    cast = _cast()
    case = to_state(cast, State.DISPATCHED)
    results = race([
        lambda: services.sign(actor=User.objects.get(username="dept"), case_id=case.pk),
        lambda: services.return_case(actor=User.objects.get(username="dept"), case_id=case.pk,
                                     reason="非本部门"),
        lambda: services.supervise(actor=User.objects.get(username="leader"), case_id=case.pk,
                                   level=1, note="加快"),
    ])
    errors = [r for r in results if isinstance(r, Exception)]
    assert all(isinstance(e, Conflict) for e in errors), errors
    assert len(errors) <= 1  # sign and return exclude each other; 督办 fits either way
    case.refresh_from_db()
    events = list(CaseEvent.objects.filter(case=case).order_by("id"))
    assert case.version == len(events) - 1  # one event per successful action (plus the report)
    assert all(a.to_state == b.from_state for a, b in zip(events, events[1:], strict=False))
    assert events[-1].to_state == case.state


def test_a_failed_commit_leaves_no_half_done_change() -> None:
    """Outside any test transaction: the action's own transaction really rolls back."""
    cast = _cast()
    case = to_state(cast, State.REGISTERED)
    before = snapshot(case.pk)

    with pytest.raises(DatabaseError), failing_timeline_insert("could not extend file (injected)"):
        services.dispatch(actor=cast["street"], case_id=case.pk)
    assert not connection.in_atomic_block
    assert snapshot(case.pk) == before
