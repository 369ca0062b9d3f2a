"""Deadlines on the official calendar: holidays skipped, 调休 make-up days counted, classes chosen."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from ivr.flow.calendar import ChineseCalendar
from tickets.deadlines import DEFAULT_TIME_LIMITS_PATH, DeadlinePolicy, Limit, default_policy
from tickets.errors import CatalogueError, TicketValidationError
from tickets.vocab import BEIJING, Category, TimeClass, Urgency


def bj(y: int, m: int, d: int, hh: int = 10, mm: int = 0) -> datetime:
    """A Beijing wall-clock time."""
    return datetime(y, m, d, hh, mm, tzinfo=BEIJING)


def end_of(y: int, m: int, d: int) -> datetime:
    """23:59:59 Beijing time on that day."""
    return datetime(y, m, d, 23, 59, 59, tzinfo=BEIJING)


@pytest.mark.parametrize(
    ("start", "count", "due"),
    [
        (bj(2026, 11, 23), 1, end_of(2026, 11, 24)),
        (bj(2026, 11, 27), 1, end_of(2026, 11, 30)),
        (bj(2026, 9, 30), 1, end_of(2026, 10, 8)),
        (bj(2026, 10, 3), 1, end_of(2026, 10, 8)),
        (bj(2026, 9, 30), 5, end_of(2026, 10, 13)),
        (bj(2026, 10, 9), 1, end_of(2026, 10, 10)),
        (bj(2026, 10, 10), 1, end_of(2026, 10, 12)),
        (bj(2026, 2, 13), 1, end_of(2026, 2, 14)),
        (bj(2026, 2, 14), 2, end_of(2026, 2, 25)),
    ],
    ids=[
        "monday",
        "friday-skips-weekend",
        "eve-of-national-day",
        "on-a-holiday",
        "five-days-across-national-day-with-makeup-saturday",
        "friday-before-makeup-saturday",
        "makeup-saturday-skips-sunday",
        "friday-before-spring-festival-makeup",
        "makeup-saturday-then-spring-festival",
    ],
)
def test_working_days_follow_the_official_calendar(start: datetime, count: int, due: datetime) -> None:
    assert default_policy().add_working_days(start, count) == due


def test_a_late_utc_time_counts_from_its_beijing_date() -> None:
    start = datetime(2026, 9, 30, 17, 0, tzinfo=UTC)
    assert start.astimezone(BEIJING).date() == date(2026, 10, 1)
    assert default_policy().add_working_days(start, 1) == end_of(2026, 10, 8)


def test_a_custom_calendar_is_used_when_given() -> None:
    calendar = ChineseCalendar(holidays={date(2026, 11, 24): "本地假日"}, years=frozenset({2026}))
    policy = DeadlinePolicy.from_yaml(DEFAULT_TIME_LIMITS_PATH, calendar=calendar)
    assert policy.add_working_days(bj(2026, 11, 23), 1) == end_of(2026, 11, 25)


@pytest.mark.parametrize(
    ("urgency", "category", "matter_class", "expected"),
    [
        (Urgency.CRITICAL, Category.CONSULT, None, TimeClass.CRITICAL),
        (Urgency.URGENT, Category.SUGGESTION, TimeClass.COMPLEX, TimeClass.URGENT),
        (Urgency.NORMAL, Category.COMPLAINT, TimeClass.URGENT, TimeClass.URGENT),
        (Urgency.NORMAL, Category.COMPLAINT, None, TimeClass.GENERAL),
        (Urgency.NORMAL, Category.SUGGESTION, None, TimeClass.COMPLEX),
    ],
)
def test_time_class_is_urgency_then_matter_then_category(
    urgency: Urgency, category: Category, matter_class: TimeClass | None, expected: TimeClass
) -> None:
    assert (
        default_policy().time_class(urgency=urgency, category=category, matter_class=matter_class) is expected
    )


def test_deadlines_per_class_from_the_shipped_limits() -> None:
    policy = default_policy()
    start = bj(2026, 9, 30, 9, 0)
    critical = policy.deadlines(start, urgency=Urgency.CRITICAL, category=Category.HELP)
    assert (critical.sign_due, critical.handle_due, critical.reply_due) == (
        start + timedelta(minutes=30),
        start + timedelta(hours=2),
        start + timedelta(hours=2),
    )
    utility = policy.deadlines(
        start, urgency=Urgency.NORMAL, category=Category.HELP, matter_class=TimeClass.URGENT
    )
    assert utility.reply_due == start + timedelta(hours=24)
    general = policy.deadlines(start, urgency=Urgency.NORMAL, category=Category.COMPLAINT)
    assert general.sign_due == end_of(2026, 10, 8)
    assert general.handle_due == end_of(2026, 10, 13)
    assert general.reply_due == general.handle_due
    ordinary = policy.deadlines(bj(2026, 11, 23), urgency=Urgency.NORMAL, category=Category.COMPLAINT)
    assert ordinary.handle_due == end_of(2026, 11, 30)
    assert ordinary.reply_due == ordinary.handle_due
    complex_ = policy.deadlines(bj(2026, 11, 23), urgency=Urgency.NORMAL, category=Category.SUGGESTION)
    assert complex_.handle_due == end_of(2026, 12, 7)
    assert complex_.reply_due == bj(2026, 12, 8)


def test_naive_start_and_bad_limits_are_refused(tmp_path: Path) -> None:
    with pytest.raises(TicketValidationError):
        default_policy().deadlines(datetime(2026, 11, 23, 10), urgency=Urgency.NORMAL, category=Category.HELP)
    with pytest.raises(ValueError, match="exactly one"):
        Limit(hours=2, days=1)
    bad = tmp_path / "limits.yaml"
    bad.write_text("kind: time_limits\nclasses: {}\ncategory_class: {}\n", encoding="utf-8")
    with pytest.raises(CatalogueError) as caught:
        DeadlinePolicy.from_yaml(bad)
    assert caught.value.error_id == "time_limits_invalid"
