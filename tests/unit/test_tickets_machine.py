"""The closed-loop transition table: every (status, event) pair either moves as listed or is refused."""

from __future__ import annotations

import itertools

import pytest

from tickets.errors import IllegalTransitionError
from tickets.machine import TRANSITIONS, allowed_events, next_status
from tickets.vocab import (
    Category,
    Channel,
    ContactPreference,
    Event,
    SpecialGroup,
    Status,
    TimeClass,
    Urgency,
)

LOOP = [
    (Status.INTAKE, Event.DISPATCH, Status.DISPATCHED),
    (Status.DISPATCHED, Event.SIGN, Status.SIGNED),
    (Status.SIGNED, Event.START_HANDLING, Status.HANDLING),
    (Status.HANDLING, Event.REPLY, Status.REPLIED),
    (Status.REPLIED, Event.CALL_BACK, Status.CALLBACK_DONE),
    (Status.CALLBACK_DONE, Event.EVALUATE, Status.EVALUATED),
    (Status.EVALUATED, Event.CLOSE, Status.CLOSED),
]
SIDE_PATHS = [
    (Status.INTAKE, Event.ANSWER_DIRECTLY, Status.CLOSED),
    (Status.INTAKE, Event.MERGE, Status.MERGED),
    (Status.DISPATCHED, Event.RETURN, Status.RETURNED),
    (Status.DISPATCHED, Event.MERGE, Status.MERGED),
    (Status.SIGNED, Event.RETURN, Status.RETURNED),
    (Status.RETURNED, Event.REDISPATCH, Status.DISPATCHED),
    (Status.RETURNED, Event.ANSWER_DIRECTLY, Status.CLOSED),
    (Status.RETURNED, Event.MERGE, Status.MERGED),
    (Status.EVALUATED, Event.REDO, Status.DISPATCHED),
    (Status.CLOSED, Event.REOPEN, Status.DISPATCHED),
]
ORDER_LOOP_PATHS = [
    (Status.DISPATCHED, Event.REDISPATCH, Status.DISPATCHED),
    (Status.SIGNED, Event.REPLY, Status.REPLIED),
    (Status.REPLIED, Event.CLOSE_UNREACHABLE, Status.CLOSED),
    (Status.CALLBACK_DONE, Event.CLOSE, Status.CLOSED),
    *[(s, Event.HAND_DOWN, s) for s in (Status.DISPATCHED, Status.SIGNED, Status.HANDLING)],
    *[
        (s, e, s)
        for s in (Status.SIGNED, Status.HANDLING)
        for e in (Event.REQUEST_EXTENSION, Event.APPROVE_EXTENSION, Event.REFUSE_EXTENSION)
    ],
    (Status.REPLIED, Event.CALL_BACK_FAILED, Status.REPLIED),
    *[(s, Event.MERGE_IN, s) for s in Status if s not in (Status.CLOSED, Status.MERGED)],
    *[(Status.MERGED, e, Status.MERGED) for e in (Event.CALL_BACK, Event.CALL_BACK_FAILED, Event.EVALUATE)],
]
LEGAL = {(s, e): n for s, e, n in LOOP + SIDE_PATHS + ORDER_LOOP_PATHS}


@pytest.mark.parametrize(("status", "event", "expected"), LOOP + SIDE_PATHS + ORDER_LOOP_PATHS)
def test_listed_transitions_move_to_the_listed_status(status: Status, event: Event, expected: Status) -> None:
    assert next_status(status, event) is expected


@pytest.mark.parametrize(
    ("status", "event"), [pair for pair in itertools.product(Status, Event) if pair not in LEGAL]
)
def test_every_other_pair_raises_one_typed_error(status: Status, event: Event) -> None:
    if event in TRANSITIONS[status]:
        pytest.fail(f"{status}/{event} is in the table but not in this test's list")
    with pytest.raises(IllegalTransitionError) as caught:
        next_status(status, event)
    assert caught.value.error_id == "illegal_transition"
    assert caught.value.details["status"] == status.value
    assert caught.value.details["event"] == event.value
    assert caught.value.details["allowed"] == sorted(e.value for e in allowed_events(status))


def test_the_table_covers_every_status_and_the_loop_reaches_closed_from_intake() -> None:
    assert set(TRANSITIONS) == set(Status)
    status = Status.INTAKE
    for _, event, _ in LOOP:
        status = next_status(status, event)
    assert status is Status.CLOSED
    assert Status.CLOSED not in TRANSITIONS[Status.MERGED].values()
    assert set(TRANSITIONS[Status.MERGED].values()) == {Status.MERGED}


def test_every_status_and_event_has_a_chinese_label() -> None:
    assert Status.RETURNED.label == "已退单"
    assert Event.MERGE.label == "并单"
    assert all(s.label for s in Status)
    assert all(e.label for e in Event)


def test_labels_do_not_leak_between_vocabularies_sharing_a_value() -> None:
    assert (Urgency.CRITICAL.label, TimeClass.CRITICAL.label) == ("特急", "危及生命财产安全")
    assert (Urgency.URGENT.label, TimeClass.URGENT.label) == ("紧急", "紧急（含水电气热）")
    vocabularies = (Category, Channel, ContactPreference, SpecialGroup, Status, Event, Urgency, TimeClass)
    assert all(member.label for vocabulary in vocabularies for member in vocabulary)
