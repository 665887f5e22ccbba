"""Deadlines on the Chinese statutory calendar, through the real services.

国庆 2026 (State Council notice): 1–7 October off, Thursday 8 and Friday 9 October are
working days, and Saturday 10 October is a 调休 working day. A case dispatched at 10:00 on
30 September with a 3-working-day handling limit is therefore due on 10 October, 10:00.
"""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from civicgrid.cases import deadlines, intake, services
from civicgrid.cases.models import Case, Category, DeadlinePolicy, Stage, State
from civicgrid.core import workcalendar
from civicgrid.core.models import AuditEntry, CalendarDay

SHANGHAI = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db  # the calendar reads its overrides from the database


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture
def clock(monkeypatch):  # type: ignore[no-untyped-def]
    """Django's clock, set by the test: ``clock.now = at(...)``."""

    class Clock:
        now = at(2026, 9, 30, 10, 0)

    monkeypatch.setattr(timezone, "now", lambda: Clock.now)
    return Clock


@pytest.fixture(autouse=True)
def fresh_calendar():  # type: ignore[no-untyped-def]
    workcalendar.forget_overrides()
    yield
    workcalendar.forget_overrides()


def new_case(cast, category: str = "shirong-laji") -> int:  # type: ignore[no-untyped-def]
    grid = cast["grid"].grants.get().grid_code
    case = intake.report_case(actor=cast["grid"], report=intake.Report(
        channel="grid", title="垃圾堆放", description="小区门口垃圾三天没清运", category=category,
        grid_code=grid))
    return case.pk


def test_dispatch_before_national_day_is_due_on_the_tiaoxiu_saturday(cast, clock):
    category = Category.objects.get(code="shirong-laji")
    DeadlinePolicy.objects.create(stage=Stage.HANDLE, category=category, amount=3,
                                  unit="workdays")
    case_id = new_case(cast)
    services.register(actor=cast["street"], case_id=case_id)
    case = services.dispatch(actor=cast["street"], case_id=case_id)

    lead = case.assignments.get(role="lead")
    expected = at(2026, 10, 10, 10, 0)
    assert lead.handle_due_at == expected
    assert case.handle_due_at == expected
    local = timezone.localtime(case.handle_due_at, SHANGHAI)
    assert (local.date(), local.hour, local.minute) == (dt.date(2026, 10, 10), 10, 0)
    assert local.weekday() == 5  # a Saturday, and a working day by the notice


def test_the_most_specific_policy_row_wins(cast, clock):
    category = Category.objects.get(code="shirong-laji")
    DeadlinePolicy.objects.create(stage=Stage.HANDLE, category=category.parent, amount=7,
                                  unit="workdays")
    DeadlinePolicy.objects.create(stage=Stage.HANDLE, category=category, amount=10,
                                  unit="hours", due_soon_ratio=0.5)
    DeadlinePolicy.objects.create(stage=Stage.HANDLE, category=category.parent,
                                  urgency="normal", area_level="township", amount=9,
                                  unit="workdays")
    limit = deadlines.limit_for(stage=Stage.HANDLE, category=category, urgency="normal",
                                area_level="township")
    assert (limit.amount, limit.unit, limit.due_soon_ratio) == (10, "hours", 0.5)
    other = Category.objects.get(code="shirong-baolu")  # same 大类: the 大类 rows compete
    assert deadlines.limit_for(stage=Stage.HANDLE, category=other, urgency="normal",
                               area_level="township").amount == 9
    assert deadlines.limit_for(stage=Stage.HANDLE, category=other, urgency="normal",
                               area_level="county").amount == 7


def test_a_year_without_data_falls_back_to_monday_to_friday():
    with pytest.raises(NotImplementedError):
        import chinese_calendar

        chinese_calendar.is_workday(dt.date(2027, 1, 1))
    # Friday 2027-01-01 (元旦, not loaded yet) counts as a working day; the weekend does not
    assert workcalendar.is_workday(dt.date(2027, 1, 1))
    assert not workcalendar.is_workday(dt.date(2027, 1, 2))
    due = workcalendar.add_workdays(at(2026, 12, 31, 9, 30), 3)
    assert due == at(2027, 1, 5, 9, 30)  # Fri 1, Mon 4, Tue 5


def test_a_calendar_day_override_wins(db):
    CalendarDay.objects.create(date=dt.date(2026, 10, 10), is_workday=False, name="本地调整")
    CalendarDay.objects.create(date=dt.date(2026, 10, 11), is_workday=True, name="本地调整")
    workcalendar.forget_overrides()
    assert not workcalendar.is_workday(dt.date(2026, 10, 10))
    assert workcalendar.is_workday(dt.date(2026, 10, 11))  # a Sunday
    assert workcalendar.add_workdays(at(2026, 9, 30, 10, 0), 3) == at(2026, 10, 11, 10, 0)


def test_zero_workdays_and_weekend_starts():
    assert workcalendar.add_workdays(at(2026, 9, 30, 10, 0), 0) == at(2026, 9, 30, 10, 0)
    assert workcalendar.add_workdays(at(2026, 10, 3, 15, 0), 0) == at(2026, 10, 8, 15, 0)
    assert workcalendar.add_workdays(at(2026, 10, 3, 15, 0), 1) == at(2026, 10, 8, 15, 0)
    with pytest.raises(ValueError):
        workcalendar.add_workdays(at(2026, 10, 3, 15, 0), -1)


def test_working_hours_skip_the_holiday():
    hours = workcalendar.working_hours_between(at(2026, 9, 30, 18, 0), at(2026, 10, 8, 6, 0))
    assert hours == pytest.approx(6 + 6)


def test_load_holidays_csv_is_validated_idempotent_audited(db, tmp_path):
    notice = tmp_path / "2027.csv"
    notice.write_text("date,type,name\n2027-01-01,休,元旦\n2027-02-06,班,春节调休上班\n"
                      "2027-02-10,休,春节\n", encoding="utf-8")
    assert workcalendar.is_workday(dt.date(2027, 2, 10))  # a Wednesday, before loading
    before = AuditEntry.objects.filter(action="core.load_holidays").count()
    call_command("load_holidays", str(notice))
    assert not workcalendar.is_workday(dt.date(2027, 2, 10))  # the cache was cleared
    assert workcalendar.is_workday(dt.date(2027, 2, 6))  # a Saturday 调休
    assert not workcalendar.is_workday(dt.date(2027, 1, 1))
    assert AuditEntry.objects.filter(action="core.load_holidays").count() == before + 1

    call_command("load_holidays", str(notice))  # again: nothing changes, nothing audited
    assert CalendarDay.objects.filter(date__year=2027).count() == 3
    assert AuditEntry.objects.filter(action="core.load_holidays").count() == before + 1

    corrected = tmp_path / "2027.json"
    corrected.write_text(json.dumps([{"date": "2027-01-01", "type": "休", "name": "元旦"}],
                                    ensure_ascii=False), encoding="utf-8")
    call_command("load_holidays", str(corrected), "--replace")
    assert list(CalendarDay.objects.filter(date__year=2027).values_list("date", flat=True)) == [
        dt.date(2027, 1, 1)]
    assert workcalendar.is_workday(dt.date(2027, 2, 10))


@pytest.mark.parametrize("content, message", [
    ("day,kind\n2027-01-01,休\n", "表头"),
    ("date,type,name\n2027-13-01,休,x\n", "日期"),
    ("date,type,name\n2027-01-01,放假,x\n", "类型"),
    ("date,type,name\n2027-01-01,休,x\n2027-01-01,班,y\n", "同时"),
    ("date,type,name\n", "没有日期"),
])
def test_load_holidays_rejects_bad_files(db, tmp_path, content, message):
    notice = tmp_path / "bad.csv"
    notice.write_text(content, encoding="utf-8")
    with pytest.raises(CommandError, match=message):
        call_command("load_holidays", str(notice))
    assert not CalendarDay.objects.filter(date__year=2027).exists()


def test_timeliness_of_an_open_case_and_its_assignment(cast, clock):
    category = Category.objects.get(code="shirong-laji")
    DeadlinePolicy.objects.create(stage=Stage.HANDLE, category=category, amount=10,
                                  unit="hours", due_soon_ratio=0.3)
    case_id = new_case(cast)
    services.register(actor=cast["street"], case_id=case_id)
    services.dispatch(actor=cast["street"], case_id=case_id)
    case = services.sign(actor=cast["dept"], case_id=case_id)
    assert case.state == State.IN_PROGRESS and case.due_at == at(2026, 9, 30, 20, 0)
    lead = case.assignments.get(role="lead")
    for now, expected in [(at(2026, 9, 30, 16, 59), "normal"), (at(2026, 9, 30, 17, 0), "due_soon"),
                          (at(2026, 9, 30, 20, 1), "overdue")]:
        assert deadlines.case_timeliness(case, now=now) == expected
        assert deadlines.assignment_timeliness(lead, now=now) == expected
    [annotated] = deadlines.annotate_timeliness([case], now=at(2026, 9, 30, 20, 1))
    assert str(annotated.timeliness_label) == "已超期"

    from django.template import Context, Template

    clock.now = at(2026, 9, 30, 17, 30)
    fresh = Case.objects.get(pk=case_id)  # not annotated: the filter computes it
    html = Template("{% load case_deadlines %}{{ case|timeliness }} {{ case|timeliness_label }}"
                    ).render(Context({"case": fresh}))
    assert html == "due_soon 将到期"
    services.handle(actor=cast["dept"], case_id=case_id, result="已清运")
    lead.refresh_from_db()
    assert deadlines.assignment_timeliness(lead) == ""
