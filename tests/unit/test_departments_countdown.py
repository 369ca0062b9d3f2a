"""Working-day countdowns of the department inbox: weekends and holidays do not count, make-up days do;
levels ok / soon (under one working day left) / overdue; which steps still run in which status."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from ivr.flow.calendar import ChineseCalendar
from tickets.dept_inbox import countdown, countdowns, working_seconds
from tickets.rows import Caller, FiveElements, WorkOrderRow
from tickets.vocab import BEIJING, Category, Channel, ContactPreference, SpecialGroup, Status, Urgency

DAY = 86400.0
CALENDAR = ChineseCalendar.from_text(
    """
kind: holiday_calendar
years:
  2026:
    holidays:
      - {name: 国庆节, start: 2026-10-01, end: 2026-10-07, workdays: [2026-10-10]}
"""
)


def at(day: int, month: int = 10, hour: int = 0) -> datetime:
    """A Beijing-time moment in 2026."""
    return datetime(2026, month, day, hour, tzinfo=BEIJING)


@pytest.mark.parametrize(
    ("start", "end", "days"),
    [
        (at(28, 9), at(29, 9), 1.0),  # Monday to Tuesday
        (at(2, 10, 12), at(5, 10, 12), 0.0),  # inside the holiday
        (at(30, 9, 12), at(8, 10, 12), 1.0),  # half of Sep 30 + half of Oct 8
        (at(9, 10), at(12, 10), 2.0),  # Friday + make-up Saturday, not Sunday
        (at(12, 10), at(9, 10), -2.0),
    ],
)
def test_only_working_days_count(start: datetime, end: datetime, days: float) -> None:
    assert working_seconds(CALENDAR, BEIJING, start, end) == pytest.approx(days * DAY)


def test_levels_follow_working_time_left() -> None:
    due = at(8, 10, 23)  # the first working day after the holiday, late evening
    assert countdown(CALENDAR, BEIJING, due, at(30, 9, 10)).level == "ok"
    assert countdown(CALENDAR, BEIJING, due, at(3, 10, 10)).level == "soon", "a holiday week: under one day"
    late = countdown(CALENDAR, BEIJING, due, at(9, 10, 1))
    assert late.level == "overdue"
    assert late.seconds_left == pytest.approx(-7200)
    assert late.working_seconds_left == pytest.approx(-7200)


def _row(status: Status, now: datetime) -> WorkOrderRow:
    caller = Caller(
        name="",
        number="",
        contact_preference=ContactPreference.ANY,
        special_group=SpecialGroup.NONE,
        confidential=False,
    )
    return WorkOrderRow(
        id=1,
        number="12345-20260928-000001",
        call_id=None,
        caller=caller,
        channel=Channel.PHONE,
        category=Category.HELP,
        matter="m",
        matter_code=None,
        content="c",
        elements=FiveElements(),
        address="",
        urgency=Urgency.NORMAL,
        status=status,
        answered_directly=False,
        answer_article_id=None,
        departments=(),
        linked_numbers=(),
        sign_due=now + timedelta(hours=2),
        handle_due=now + timedelta(days=20),
        reply_due=now + timedelta(days=21),
        created_by="a",
        created_at=now,
        updated_at=now,
        dispatched_at=now,
        closed_at=None,
    )


def test_each_countdown_runs_only_while_its_step_is_open() -> None:
    now = at(28, 9, 10)
    row = _row(Status.DISPATCHED, now)
    found = countdowns(row, CALENDAR, BEIJING, now)
    assert {k: v.level if v else None for k, v in found.items()} == {
        "sign": "soon",
        "handle": "ok",
        "reply": "ok",
    }
    signed = countdowns(replace(row, status=Status.SIGNED), CALENDAR, BEIJING, now)
    assert signed["sign"] is None
    assert signed["handle"] is not None
    replied = countdowns(replace(row, status=Status.REPLIED), CALENDAR, BEIJING, now)
    assert set(replied.values()) == {None}
