"""The revisit schedule (tickets.revisit_rules): calling hours, retries, the attempt limit. Pure."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tickets.revisit_rules import (
    AttemptFacts,
    RevisitPolicy,
    TargetState,
    dialled_automatically,
    failure_outcome,
    is_stale,
    parse_hours,
    plan,
    policy_from,
    within_hours,
)
from tickets.vocab import BEIJING, ContactPreference, SpecialGroup

POLICY = RevisitPolicy()
MORNING = datetime(2026, 11, 25, 10, 0, tzinfo=BEIJING)


def failed(at: datetime, outcome: str = "no_answer") -> AttemptFacts:
    """An attempt that ended 30 seconds after ``at`` without reaching the citizen."""
    return AttemptFacts(outcome=outcome, started_at=at, ended_at=at + timedelta(seconds=30))


def test_given_times_around_calling_hours_when_placed_then_moved_to_the_next_opening() -> None:
    early = datetime(2026, 11, 25, 7, 30, tzinfo=BEIJING)
    late = datetime(2026, 11, 25, 20, 0, tzinfo=BEIJING)
    assert within_hours(POLICY, early) == datetime(2026, 11, 25, 9, 0, tzinfo=BEIJING)
    assert within_hours(POLICY, MORNING) == MORNING
    assert within_hours(POLICY, late) == datetime(2026, 11, 26, 9, 0, tzinfo=BEIJING)
    sunday_night = datetime(2026, 11, 29, 23, 0, tzinfo=BEIJING)
    assert within_hours(POLICY, sunday_night) == datetime(2026, 11, 30, 9, 0, tzinfo=BEIJING)


@given(st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2028, 1, 1), timezones=st.just(UTC)))
def test_given_any_moment_when_placed_then_inside_hours_and_not_earlier_nor_a_day_later(at: datetime) -> None:
    placed = within_hours(POLICY, at)
    local = placed.astimezone(BEIJING).time()
    assert at <= placed <= at + timedelta(hours=13)
    assert time(9, 0) <= local < time(20, 0)


def test_given_no_attempt_when_planned_then_due_at_reply_within_hours() -> None:
    replied = datetime(2026, 11, 25, 21, 15, tzinfo=BEIJING)
    p = plan(POLICY, ready_at=replied, attempts=[])
    assert (p.state, p.failed) == (TargetState.PENDING, 0)
    assert p.next_at == datetime(2026, 11, 26, 9, 0, tzinfo=BEIJING)


def test_given_failed_attempts_when_planned_then_two_hours_apart_until_the_third_makes_it_unreachable() -> (
    None
):
    one = plan(POLICY, ready_at=MORNING, attempts=[failed(MORNING)])
    assert one.next_at == MORNING + timedelta(hours=2, seconds=30)
    at_19 = datetime(2026, 11, 25, 19, 0, tzinfo=BEIJING)
    two = plan(POLICY, ready_at=MORNING, attempts=[failed(MORNING), failed(at_19, "busy")])
    assert (two.state, two.failed) == (TargetState.PENDING, 2)
    assert two.next_at == datetime(2026, 11, 26, 9, 0, tzinfo=BEIJING), "21:00 is after hours"
    three = plan(
        POLICY, ready_at=MORNING, attempts=[failed(MORNING), failed(at_19), failed(at_19, "no_keys")]
    )
    assert (three.state, three.failed, three.next_at) == (TargetState.UNREACHABLE, 3, None)


def test_given_centre_side_failures_when_planned_then_retried_but_not_counted() -> None:
    attempts = [failed(MORNING + timedelta(hours=h), "failed") for h in range(5)]
    p = plan(POLICY, ready_at=MORNING, attempts=attempts)
    assert (p.state, p.failed) == (TargetState.PENDING, 0)


def test_given_reached_or_under_way_when_planned_then_nothing_is_due() -> None:
    reached = AttemptFacts(outcome="reached", started_at=MORNING, ended_at=MORNING)
    calling = AttemptFacts(outcome="calling", started_at=MORNING, ended_at=None)
    assert plan(POLICY, ready_at=MORNING, attempts=[failed(MORNING), reached]).state is TargetState.REACHED
    under_way = plan(POLICY, ready_at=MORNING, attempts=[calling])
    assert (under_way.state, under_way.next_at) == (TargetState.CALLING, None)
    assert not is_stale(POLICY, calling, MORNING + timedelta(minutes=4))
    assert is_stale(POLICY, calling, MORNING + timedelta(minutes=6))


def test_given_originate_reasons_when_mapped_then_busy_and_unanswered_count_others_do_not() -> None:
    assert [failure_outcome(r) for r in ("5", "3", "1", "8", "0", "")] == [
        "busy",
        "no_answer",
        "no_answer",
        "failed",
        "failed",
        "failed",
    ]


def test_given_contact_wishes_and_groups_when_asked_then_only_phoneable_ordinary_citizens_are_dialled() -> (
    None
):
    assert dialled_automatically(ContactPreference.ANY, SpecialGroup.NONE)
    assert dialled_automatically(ContactPreference.PHONE_ONLY, SpecialGroup.NONE)
    assert not dialled_automatically(ContactPreference.SMS_ONLY, SpecialGroup.NONE)
    assert not dialled_automatically(ContactPreference.NO_CONTACT, SpecialGroup.NONE)
    assert not dialled_automatically(ContactPreference.ANY, SpecialGroup.ELDERLY)


def test_given_settings_when_turned_into_a_policy_then_checked() -> None:
    p = policy_from(
        max_attempts=2, retry_minutes=30, calling_hours="08:30-21:00", concurrency=4, ring_timeout_s=25
    )
    assert (p.max_attempts, p.retry_after, p.calling_from, p.calling_until) == (
        2,
        timedelta(minutes=30),
        time(8, 30),
        time(21, 0),
    )
    assert parse_hours(" 09:00 - 20:00 ") == (time(9, 0), time(20, 0))
    for bad in ("9-20", "20:00-09:00", "09:00"):
        with pytest.raises(ValueError, match="calling hours"):
            policy_from(
                max_attempts=3, retry_minutes=120, calling_hours=bad, concurrency=2, ring_timeout_s=20
            )
    with pytest.raises(ValueError, match="max_attempts"):
        RevisitPolicy(max_attempts=0)
