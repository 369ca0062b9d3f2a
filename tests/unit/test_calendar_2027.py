"""The shipped 2027 calendar (expected: statutory days plus the usual pattern) and in-place edits of the
shared calendar (``with_plans`` / ``adopt``), without a database."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from pydantic import ValidationError

from ivr.flow.calendar import ChineseCalendar, HolidayPlan, YearPlan, YearStatus, shipped_calendar

STATUTORY_2027 = {
    date(2027, 1, 1): "元旦",
    date(2027, 2, 5): "春节",  # 除夕
    date(2027, 2, 6): "春节",
    date(2027, 2, 7): "春节",
    date(2027, 2, 8): "春节",  # 初三
    date(2027, 4, 5): "清明节",
    date(2027, 5, 1): "劳动节",
    date(2027, 5, 2): "劳动节",
    date(2027, 6, 9): "端午节",
    date(2027, 9, 15): "中秋节",
    date(2027, 10, 1): "国庆节",
    date(2027, 10, 2): "国庆节",
    date(2027, 10, 3): "国庆节",
}


def test_given_2027_when_loaded_then_expected_and_every_statutory_day_is_off() -> None:
    cal = shipped_calendar()
    plan = cal.year_plan(2027)
    assert plan is not None
    assert (cal.covers(2027), plan.status) == (True, YearStatus.EXPECTED)
    confirmed = cal.year_plan(2026)
    assert confirmed is not None
    assert confirmed.status == YearStatus.CONFIRMED
    for day, name in STATUTORY_2027.items():
        assert (cal.is_working_day(day), cal.holiday_name(day)) == (False, name), day


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2027, 1, 30), True),  # Saturday make-up day before the Spring Festival
        (date(2027, 2, 12), False),  # Friday in the nine days off
        (date(2027, 2, 13), False),  # last day off, a Saturday
        (date(2027, 2, 15), True),  # Monday back at work
        (date(2027, 2, 20), True),  # Saturday make-up day
        (date(2027, 4, 3), False),  # Qingming weekend
        (date(2027, 5, 5), False),  # Wednesday, Labour Day bridge
        (date(2027, 5, 8), True),  # Saturday make-up day
        (date(2027, 6, 10), True),  # Thursday after the Dragon Boat Festival
        (date(2027, 9, 26), True),  # Sunday make-up day before National Day
        (date(2027, 10, 7), False),
        (date(2027, 10, 9), True),  # Saturday make-up day
        (date(2027, 10, 16), False),  # an ordinary Saturday
    ],
)
def test_given_2027_when_asked_then_holidays_off_and_makeup_days_on(day: date, working: bool) -> None:
    assert shipped_calendar().is_working_day(day) is working


def test_given_2027_then_days_off_minus_weekends_equal_statutory_plus_makeup_days() -> None:
    """Each bridge is paid for by make-up days: weekdays off = statutory weekdays + compensations."""
    holidays, workdays = shipped_calendar().days()
    weekdays_off = sum(1 for d in holidays if d.year == 2027 and d.weekday() < 5)
    statutory_on_weekend = sum(1 for d in STATUTORY_2027 if d.weekday() >= 5)
    statutory_weekdays = len(STATUTORY_2027) - statutory_on_weekend
    makeup = sum(1 for d in workdays if d.year == 2027)
    assert weekdays_off == statutory_weekdays + statutory_on_weekend + makeup


def test_given_edit_when_adopted_then_every_holder_sees_it_and_other_years_stay() -> None:
    live = ChineseCalendar()
    live.adopt(shipped_calendar())
    holder = live  # what the IVR and the deadline policy keep
    edited = YearPlan(holidays=[HolidayPlan(name="春节", start=date(2027, 2, 1), end=date(2027, 2, 15))])
    live.adopt(shipped_calendar().with_plans({2027: edited}))
    assert not holder.is_working_day(date(2027, 2, 15))
    assert holder.is_working_day(date(2027, 2, 20)) is False  # the shipped make-up Saturday is gone
    assert holder.is_working_day(date(2027, 10, 8))  # 国庆 no longer in the edited year
    assert not holder.is_working_day(date(2026, 10, 1))  # 2026 untouched
    assert shipped_calendar().is_working_day(date(2027, 2, 20))  # the shipped calendar unchanged


def test_given_plan_with_days_of_another_year_when_checked_then_refused() -> None:
    plan = YearPlan(holidays=[HolidayPlan(name="元旦", start=date(2029, 1, 1), end=date(2029, 1, 1))])
    with pytest.raises(ValueError, match="not in 2027"):
        plan.check_year(2027)
    new_year = YearPlan(
        holidays=[
            HolidayPlan(
                name="元旦", start=date(2027, 1, 1), end=date(2027, 1, 1), workdays=[date(2026, 12, 27)]
            )
        ]
    )
    assert new_year.check_year(2027) is new_year  # a make-up day in the year before is fine


@pytest.mark.parametrize(
    "fields",
    [
        {"name": "x", "start": date(2027, 1, 2), "end": date(2027, 1, 1)},
        {"name": "x", "start": date(2027, 1, 1), "end": date(2027, 1, 1) + timedelta(days=20)},
        {"name": "x", "start": date(2027, 1, 1), "end": date(2027, 1, 1), "workdays": [date(2027, 1, 4)]},
        {"name": "", "start": date(2027, 1, 1), "end": date(2027, 1, 1)},
    ],
)
def test_given_bad_holiday_when_validated_then_refused(fields: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        HolidayPlan.model_validate(fields)
