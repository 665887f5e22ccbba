"""Real cases through the real services, for the notification and tick tests."""

from __future__ import annotations

from civicgrid.accounts.models import User
from civicgrid.areas.models import Grid
from civicgrid.cases import intake
from civicgrid.cases.models import Case
from civicgrid.notifications.models import Notification


def demo_grid() -> Grid:
    grid = Grid.objects.current().filter(code__startswith="640202001").order_by("code").first()
    assert grid is not None
    return grid


def report(user: User, *, channel: str = "grid", phone: str = "", title: str = "垃圾堆放",
           category: str = "shirong-laji") -> Case:
    return intake.report_case(actor=user, report=intake.Report(
        channel=channel, title=title, description="小区门口垃圾三天没清运", category=category,
        grid_code=demo_grid().code, reporter_phone=phone, reporter_name="王女士" if phone else ""))


def inbox(user: User, case: Case | None = None) -> list[tuple[str, str, str]]:
    rows = Notification.objects.filter(user=user)
    if case is not None:
        rows = rows.filter(case=case)
    return list(rows.order_by("id").values_list("topic", "kind", "title"))


def topics(user: User, case: Case | None = None) -> list[str]:
    return [t for t, _k, _title in inbox(user, case)]
