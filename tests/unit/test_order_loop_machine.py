"""Invariants of the order loop's transition table over random event sequences (hypothesis)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tickets.errors import IllegalTransitionError
from tickets.machine import TRANSITIONS, next_status
from tickets.vocab import Event, Status

RECORDED_ONLY = frozenset(
    {
        Event.HAND_DOWN,
        Event.REQUEST_EXTENSION,
        Event.APPROVE_EXTENSION,
        Event.REFUSE_EXTENSION,
        Event.CALL_BACK_FAILED,
        Event.MERGE_IN,
    }
)
"""Events that are recorded but never change the status."""
OPEN = frozenset(Status) - {Status.CLOSED, Status.MERGED}


def walk(events: list[Event]) -> list[Status]:
    """The statuses an order passes through from intake, skipping the events refused on the way."""
    status, seen = Status.INTAKE, [Status.INTAKE]
    for event in events:
        try:
            status = next_status(status, event)
        except IllegalTransitionError:
            continue
        seen.append(status)
    return seen


@given(st.lists(st.sampled_from(list(Event)), max_size=60))
def test_a_merged_order_stays_merged_whatever_happens_next(events: list[Event]) -> None:
    seen = walk(events)
    if Status.MERGED in seen:
        assert set(seen[seen.index(Status.MERGED) :]) == {Status.MERGED}


@given(st.sampled_from(sorted(RECORDED_ONLY)), st.sampled_from(list(Status)))
def test_recorded_only_events_never_change_the_status(event: Event, status: Status) -> None:
    if event in TRANSITIONS[status]:
        assert next_status(status, event) is status


@given(st.lists(st.sampled_from(list(Event)), max_size=60))
def test_an_order_leaves_closed_only_by_reopening(events: list[Event]) -> None:
    status = Status.INTAKE
    for event in events:
        try:
            after = next_status(status, event)
        except IllegalTransitionError:
            continue
        if status is Status.CLOSED:
            assert (event, after) == (Event.REOPEN, Status.DISPATCHED)
        status = after


@pytest.mark.parametrize("status", sorted(OPEN))
def test_every_open_order_can_take_others_in_and_still_reach_closed(status: Status) -> None:
    assert next_status(status, Event.MERGE_IN) is status
    frontier, reached = {status}, set()
    while frontier:
        current = frontier.pop()
        reached.add(current)
        frontier |= set(TRANSITIONS[current].values()) - reached
    assert Status.CLOSED in reached
