"""Helpers for case tests: bring a real case to a state through the real services."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import DatabaseError, connection, connections

from civicgrid.accounts import services as account_services
from civicgrid.accounts.models import OrgUnit, User
from civicgrid.areas.models import Grid
from civicgrid.cases import services
from civicgrid.cases.intake import Report, report_case
from civicgrid.cases.models import Case, State
from civicgrid.demo.build import DEMO_PASSWORD

CITY_GUAN = "dept-640202-chengguan"


def grid_of(prefix: str = "640202001") -> Grid:
    grid = Grid.objects.current().filter(code__startswith=prefix).order_by("code").first()
    assert grid is not None
    return grid


def dept(code: str) -> OrgUnit:
    return OrgUnit.objects.get(code=f"dept-640202-{code}")


def dept_user(code: str) -> User:
    """A handler of another department (the demo has only 城管's ``dept``)."""
    org = dept(code)
    username = f"dept-{code}"
    user = User.objects.filter(username=username).first()
    if user is None:
        user = account_services.create_user(actor=None, username=username, password=DEMO_PASSWORD,
                                            display_name=f"{org.name}处置员", org_unit=org,
                                            must_change_password=False)
        account_services.grant_role(actor=None, user=user, role_code="dept_handler", org_unit=org)
    return user


def reported(cast: dict[str, User], *, by: str = "grid", grid: Grid | None = None,
             category: str = "shirong-laji", on_the_spot: str | None = None) -> Case:
    grid = grid or grid_of()
    return report_case(actor=cast[by], report=Report(
        channel="grid" if by == "grid" else "portal", title="路边垃圾堆放",
        description="小区门口垃圾三天无人清运", category=category, grid_code=grid.code,
        lng=grid.centroid_lng, lat=grid.centroid_lat, on_the_spot_result=on_the_spot))


def to_state(cast: dict[str, User], state: str, **kwargs: object) -> Case:
    """A fresh case of the 长胜街道 grid brought to ``state`` along the usual path."""
    case = reported(cast, **kwargs)  # type: ignore[arg-type]
    street, handler = cast["street"], cast["dept"]
    if state == State.REPORTED:
        return case
    if state == State.REJECTED:
        return services.reject(actor=street, case_id=case.pk, reason="不属于受理范围")
    if state == State.MERGED:
        target = reported(cast)
        return services.merge(actor=street, case_id=case.pk, into=target.pk)
    services.register(actor=street, case_id=case.pk)
    if state == State.REGISTERED:
        return Case.objects.get(pk=case.pk)
    services.dispatch(actor=street, case_id=case.pk)
    if state == State.DISPATCHED:
        return Case.objects.get(pk=case.pk)
    services.sign(actor=handler, case_id=case.pk)
    if state == State.IN_PROGRESS:
        return Case.objects.get(pk=case.pk)
    services.handle(actor=handler, case_id=case.pk, result="已清运")
    if state == State.HANDLED:
        return Case.objects.get(pk=case.pk)
    services.verify(actor=cast["grid"], case_id=case.pk, passed=True)
    assert state == State.CLOSED, state
    return Case.objects.get(pk=case.pk)


def snapshot(case_id: int) -> dict[str, object]:
    """Everything an action may change: the case row, its assignments, extensions, timeline."""
    from civicgrid.cases.models import Assignment, CaseEvent, ExtensionRequest

    return {
        "case": Case.objects.filter(pk=case_id).values().get(),
        "assignments": list(Assignment.objects.filter(case_id=case_id).order_by("id").values()),
        "extensions": list(ExtensionRequest.objects.filter(assignment__case_id=case_id)
                           .order_by("id").values()),
        "events": list(CaseEvent.objects.filter(case_id=case_id).order_by("id").values()),
    }


def later(days: int = 30) -> dt.datetime:
    from django.utils import timezone

    return timezone.now() + dt.timedelta(days=days)


def race(calls: list[Callable[[], object]],
         prepare: Callable[[int], object] | None = None) -> list[object]:
    """Run the calls in threads, each on its own DB connection, released at the same instant.

    ``prepare(i)`` runs in thread ``i`` before the barrier (e.g. a client that logs in); its
    result is passed to the call. Returns each call's result or the exception it raised.
    """
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(i: int) -> None:
        try:
            prepared = prepare(i) if prepare is not None else None
            barrier.wait(timeout=10)
            results[i] = calls[i](prepared) if prepare is not None else calls[i]()  # type: ignore[call-arg]
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test inspects
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    return results


@contextmanager
def failing_timeline_insert(message: str) -> Iterator[None]:
    """The database refuses the next timeline entry (``INSERT INTO cases_caseevent``) with
    ``DatabaseError(message)``: a failure in the middle of an action, after the case row and
    its assignments were written (``connection.execute_wrapper``, at the SQL layer)."""
    def refuse(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        if 'INSERT INTO "cases_caseevent"' in sql:  # alone or in a report's one statement
            raise DatabaseError(message)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(refuse):
        yield
