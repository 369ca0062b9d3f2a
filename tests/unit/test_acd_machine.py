"""The ACD transition tables, checked case by case and exhaustively."""

from __future__ import annotations

import itertools

import pytest

from acd.errors import IllegalTransition
from acd.machine import (
    AGENT_STATE_TRANSITIONS,
    AGENT_STATUS_TRANSITIONS,
    CALL_TRANSITIONS,
    AgentTrigger,
    CallTrigger,
    next_agent,
    next_call,
)
from acd.model import AgentState, AgentStatus, CallState

S, A, T, C, CT = AgentStatus, AgentState, AgentTrigger, CallState, CallTrigger

AGENT_CASES: list[tuple[AgentStatus, AgentState, AgentTrigger, tuple[AgentStatus, AgentState] | None]] = [
    (S.LOGGED_OUT, A.IDLE, T.LOGIN, (S.PAUSED, A.IDLE)),
    (S.LOGGED_OUT, A.IDLE, T.READY, None),
    (S.LOGGED_OUT, A.IDLE, T.OFFER, None),
    (S.AVAILABLE, A.IDLE, T.LOGIN, None),
    (S.PAUSED, A.IDLE, T.READY, (S.AVAILABLE, A.IDLE)),
    (S.AVAILABLE, A.IDLE, T.PAUSE, (S.PAUSED, A.IDLE)),
    (S.PAUSED, A.IDLE, T.PAUSE, (S.PAUSED, A.IDLE)),
    (S.AVAILABLE, A.IDLE, T.OFFER, (S.AVAILABLE, A.OFFERED)),
    (S.PAUSED, A.IDLE, T.OFFER, None),
    (S.AVAILABLE, A.OFFERED, T.OFFER, None),
    (S.AVAILABLE, A.WRAP_UP, T.OFFER, None),
    (S.AVAILABLE, A.OFFERED, T.ANSWER, (S.AVAILABLE, A.ON_CALL)),
    (S.PAUSED, A.OFFERED, T.ANSWER, (S.PAUSED, A.ON_CALL)),
    (S.AVAILABLE, A.OFFERED, T.NO_ANSWER, (S.PAUSED, A.IDLE)),
    (S.AVAILABLE, A.OFFERED, T.CALLER_GONE, (S.AVAILABLE, A.IDLE)),
    (S.AVAILABLE, A.OFFERED, T.PAUSE, (S.PAUSED, A.OFFERED)),
    (S.AVAILABLE, A.OFFERED, T.LOGOUT, None),
    (S.AVAILABLE, A.ON_CALL, T.PAUSE, (S.PAUSED, A.ON_CALL)),
    (S.PAUSED, A.ON_CALL, T.READY, (S.AVAILABLE, A.ON_CALL)),
    (S.AVAILABLE, A.ON_CALL, T.LOGOUT, None),
    (S.AVAILABLE, A.ON_CALL, T.HANGUP, (S.AVAILABLE, A.WRAP_UP)),
    (S.PAUSED, A.ON_CALL, T.HANGUP, (S.PAUSED, A.WRAP_UP)),
    (S.AVAILABLE, A.WRAP_UP, T.READY, (S.AVAILABLE, A.IDLE)),
    (S.PAUSED, A.WRAP_UP, T.READY, (S.AVAILABLE, A.IDLE)),
    (S.AVAILABLE, A.WRAP_UP, T.WRAPUP_END, (S.AVAILABLE, A.IDLE)),
    (S.PAUSED, A.WRAP_UP, T.WRAPUP_END, (S.PAUSED, A.IDLE)),
    (S.AVAILABLE, A.WRAP_UP, T.LOGOUT, (S.LOGGED_OUT, A.IDLE)),
    (S.PAUSED, A.IDLE, T.LOGOUT, (S.LOGGED_OUT, A.IDLE)),
    (S.AVAILABLE, A.IDLE, T.HANGUP, None),
    (S.AVAILABLE, A.IDLE, T.WRAPUP_END, None),
]

CALL_CASES: list[tuple[CallState, CallTrigger, CallState | None]] = [
    (C.WAITING, CT.OFFER, C.OFFERED),
    (C.WAITING, CT.ABANDON, C.ENDED),
    (C.WAITING, CT.ANSWER, None),
    (C.OFFERED, CT.ANSWER, C.CONNECTED),
    (C.OFFERED, CT.NO_ANSWER, C.WAITING),
    (C.OFFERED, CT.ABANDON, C.ENDED),
    (C.OFFERED, CT.OFFER, None),
    (C.CONNECTED, CT.HANGUP, C.ENDED),
    (C.CONNECTED, CT.ABANDON, None),
    (C.ENDED, CT.OFFER, None),
]


@pytest.mark.parametrize(("status", "state", "trigger", "expected"), AGENT_CASES)
def test_agent_transition_table(
    status: AgentStatus,
    state: AgentState,
    trigger: AgentTrigger,
    expected: tuple[AgentStatus, AgentState] | None,
) -> None:
    if expected is None:
        with pytest.raises(IllegalTransition) as info:
            next_agent(status, state, trigger, agent_id="a1")
        assert info.value.error_id == "illegal_transition"
        assert info.value.details == {
            "kind": "agent",
            "agent_id": "a1",
            "status": str(status),
            "state": str(state),
            "trigger": str(trigger),
        }
    else:
        assert next_agent(status, state, trigger, agent_id="a1") == expected


@pytest.mark.parametrize(("state", "trigger", "expected"), CALL_CASES)
def test_call_transition_table(state: CallState, trigger: CallTrigger, expected: CallState | None) -> None:
    if expected is None:
        with pytest.raises(IllegalTransition) as info:
            next_call(state, trigger, call_id="c1")
        assert info.value.details["trigger"] == str(trigger)
    else:
        assert next_call(state, trigger, call_id="c1") == expected


def _legal_agent_pairs(trigger: AgentTrigger) -> set[tuple[AgentStatus, AgentState]]:
    legal = set()
    for status, state in itertools.product(AgentStatus, AgentState):
        try:
            next_agent(status, state, trigger, agent_id="x")
        except IllegalTransition:
            continue
        legal.add((status, state))
    return legal


def test_only_an_available_idle_agent_can_be_offered() -> None:
    assert _legal_agent_pairs(AgentTrigger.OFFER) == {(S.AVAILABLE, A.IDLE)}


def test_logout_only_while_idle_or_in_wrap_up() -> None:
    legal = _legal_agent_pairs(AgentTrigger.LOGOUT)
    assert {state for _, state in legal} == {A.IDLE, A.WRAP_UP}
    assert {status for status, _ in legal} == {S.AVAILABLE, S.PAUSED}


def test_pause_and_ready_never_change_a_call_in_progress() -> None:
    for trigger in (AgentTrigger.PAUSE, AgentTrigger.READY):
        for state in (A.OFFERED, A.ON_CALL):
            for status in (S.AVAILABLE, S.PAUSED):
                assert next_agent(status, state, trigger, agent_id="x")[1] is state


def test_tables_cover_every_value_and_ended_is_terminal() -> None:
    assert set(AGENT_STATUS_TRANSITIONS) == set(AgentStatus)
    assert set(AGENT_STATE_TRANSITIONS) == set(AgentState)
    assert set(CALL_TRANSITIONS) == set(CallState)
    assert CALL_TRANSITIONS[CallState.ENDED] == {}


def test_every_agent_state_is_reachable_from_logged_out() -> None:
    seen = {(S.LOGGED_OUT, A.IDLE)}
    frontier = list(seen)
    while frontier:
        status, state = frontier.pop()
        for trigger in AgentTrigger:
            try:
                pair = next_agent(status, state, trigger, agent_id="x")
            except IllegalTransition:
                continue
            if pair not in seen:
                seen.add(pair)
                frontier.append(pair)
    assert {state for _, state in seen} == set(AgentState)
    assert {status for status, _ in seen} == set(AgentStatus)
