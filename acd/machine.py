"""Transition tables of the ACD, as data.

Rules:
- An agent is a pair (status, state). Every trigger must be allowed by BOTH tables; the pair of
  next values is then applied at once. A trigger missing from either table is illegal.
- Status is the agent's choice: LOGGED_OUT -> (login) -> PAUSED "login" -> AVAILABLE <-> PAUSED.
  The only system-made status change is RONA (NO_ANSWER), which pauses the agent ("no answer").
- State is the system's: IDLE -> OFFERED -> ON_CALL -> WRAP_UP -> IDLE; an offer that fails or
  whose caller hangs up returns the agent to IDLE. Only AVAILABLE + IDLE takes an OFFER.
- Pausing or readying never interrupts a call: the state stays. READY during WRAP_UP ends it.
- Logging out is allowed only while IDLE or in WRAP_UP (which it ends); while OFFERED or ON_CALL it
  is illegal, so a call is never orphaned: pause first, log out after the call.
- A call goes WAITING -> OFFERED -> CONNECTED -> ENDED; a failed offer puts it back to WAITING
  (keeping its place), a caller hanging up while WAITING or OFFERED ends it (abandoned).
- Only a WAITING call may become a callback entry, be cancelled (as a callback entry), move to
  another queue or exit to voicemail. A callback entry is not abandoned by the caller's hangup (the
  engine refuses that, the caller has left on purpose); CANCEL ends it.
- Checking a transition never changes anything; an illegal one raises IllegalTransition.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Final

from acd.errors import IllegalTransition
from acd.model import AgentState, AgentStatus, CallState


class AgentTrigger(StrEnum):
    """What can happen to an agent."""

    LOGIN = "login"
    READY = "ready"
    PAUSE = "pause"
    LOGOUT = "logout"
    OFFER = "offer"
    ANSWER = "answer"
    NO_ANSWER = "no_answer"
    CALLER_GONE = "caller_gone"
    HANGUP = "hangup"
    WRAPUP_END = "wrapup_end"


class CallTrigger(StrEnum):
    """What can happen to a queued call."""

    OFFER = "offer"
    ANSWER = "answer"
    NO_ANSWER = "no_answer"
    ABANDON = "abandon"
    HANGUP = "hangup"
    CALLBACK = "callback"
    CANCEL = "cancel"
    MOVE = "move"
    EXIT = "exit"


_S = AgentStatus
_A = AgentState
_T = AgentTrigger
_C = CallState
_CT = CallTrigger

_CALL_PROGRESS: Final = (_T.ANSWER, _T.CALLER_GONE, _T.HANGUP, _T.WRAPUP_END)

AGENT_STATUS_TRANSITIONS: Final[Mapping[AgentStatus, Mapping[AgentTrigger, AgentStatus]]] = {
    _S.LOGGED_OUT: {_T.LOGIN: _S.PAUSED},
    _S.AVAILABLE: {
        _T.READY: _S.AVAILABLE,
        _T.PAUSE: _S.PAUSED,
        _T.LOGOUT: _S.LOGGED_OUT,
        _T.OFFER: _S.AVAILABLE,
        _T.NO_ANSWER: _S.PAUSED,
        **{t: _S.AVAILABLE for t in _CALL_PROGRESS},
    },
    _S.PAUSED: {
        _T.READY: _S.AVAILABLE,
        _T.PAUSE: _S.PAUSED,
        _T.LOGOUT: _S.LOGGED_OUT,
        _T.NO_ANSWER: _S.PAUSED,
        **{t: _S.PAUSED for t in _CALL_PROGRESS},
    },
}

AGENT_STATE_TRANSITIONS: Final[Mapping[AgentState, Mapping[AgentTrigger, AgentState]]] = {
    _A.IDLE: {
        _T.LOGIN: _A.IDLE,
        _T.READY: _A.IDLE,
        _T.PAUSE: _A.IDLE,
        _T.LOGOUT: _A.IDLE,
        _T.OFFER: _A.OFFERED,
    },
    _A.OFFERED: {
        _T.READY: _A.OFFERED,
        _T.PAUSE: _A.OFFERED,
        _T.ANSWER: _A.ON_CALL,
        _T.NO_ANSWER: _A.IDLE,
        _T.CALLER_GONE: _A.IDLE,
    },
    _A.ON_CALL: {
        _T.READY: _A.ON_CALL,
        _T.PAUSE: _A.ON_CALL,
        _T.HANGUP: _A.WRAP_UP,
    },
    _A.WRAP_UP: {
        _T.READY: _A.IDLE,
        _T.PAUSE: _A.WRAP_UP,
        _T.LOGOUT: _A.IDLE,
        _T.WRAPUP_END: _A.IDLE,
    },
}

CALL_TRANSITIONS: Final[Mapping[CallState, Mapping[CallTrigger, CallState]]] = {
    _C.WAITING: {
        _CT.OFFER: _C.OFFERED,
        _CT.ABANDON: _C.ENDED,
        _CT.CALLBACK: _C.WAITING,
        _CT.CANCEL: _C.ENDED,
        _CT.MOVE: _C.WAITING,
        _CT.EXIT: _C.ENDED,
    },
    _C.OFFERED: {_CT.ANSWER: _C.CONNECTED, _CT.NO_ANSWER: _C.WAITING, _CT.ABANDON: _C.ENDED},
    _C.CONNECTED: {_CT.HANGUP: _C.ENDED},
    _C.ENDED: {},
}


def next_agent(
    status: AgentStatus, state: AgentState, trigger: AgentTrigger, *, agent_id: str
) -> tuple[AgentStatus, AgentState]:
    """The agent's (status, state) after ``trigger``; raises IllegalTransition if either table refuses."""
    new_status = AGENT_STATUS_TRANSITIONS[status].get(trigger)
    new_state = AGENT_STATE_TRANSITIONS[state].get(trigger)
    if new_status is None or new_state is None:
        raise IllegalTransition(
            f"agent {agent_id} cannot {trigger} while {status}/{state}",
            kind="agent",
            agent_id=agent_id,
            status=str(status),
            state=str(state),
            trigger=str(trigger),
        )
    return new_status, new_state


def next_call(state: CallState, trigger: CallTrigger, *, call_id: str) -> CallState:
    """The call's state after ``trigger``; raises IllegalTransition if the table refuses."""
    new_state = CALL_TRANSITIONS[state].get(trigger)
    if new_state is None:
        raise IllegalTransition(
            f"call {call_id} cannot {trigger} while {state}",
            kind="call",
            call_id=call_id,
            state=str(state),
            trigger=str(trigger),
        )
    return new_state
