"""The ACD's nouns: agents, calls and queues, in the vocabulary of FreeSWITCH mod_callcenter.

An agent's *status* is chosen by the agent (logged out, available, paused with a reason); an agent's
*state* is set by the system (idle, offered, on call, wrap-up). Only an agent that is AVAILABLE and
IDLE is offered calls.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class AgentStatus(StrEnum):
    """What the agent chose."""

    LOGGED_OUT = "logged_out"
    AVAILABLE = "available"
    PAUSED = "paused"


class AgentState(StrEnum):
    """What the system is doing with the agent."""

    IDLE = "idle"
    OFFERED = "offered"
    ON_CALL = "on_call"
    WRAP_UP = "wrap_up"


class CallState(StrEnum):
    """Where a queued call is."""

    WAITING = "waiting"
    OFFERED = "offered"
    CONNECTED = "connected"
    ENDED = "ended"


@dataclass(slots=True)
class QueueConfig:
    """A queue serves callers with agents having ``skill``; ``strategy`` names a registered strategy."""

    name: str
    skill: str
    wrapup_seconds: float = 15.0
    strategy: str = "longest_idle"


@dataclass(slots=True)
class Agent:
    """One call-centre agent; ``skills`` maps a skill to a level (any key present means the skill)."""

    agent_id: str
    contact: str
    skills: dict[str, int]
    status: AgentStatus = AgentStatus.LOGGED_OUT
    state: AgentState = AgentState.IDLE
    pause_reason: str | None = None
    idle_since: float = 0.0
    offered_call_id: str | None = None
    current_call_id: str | None = None
    wrapup_until: float | None = None
    calls_handled: int = 0

    @property
    def ready(self) -> bool:
        """True when the agent may be offered a call right now."""
        return self.status is AgentStatus.AVAILABLE and self.state is AgentState.IDLE


@dataclass(slots=True)
class Call:
    """A caller in (or through) a queue; ``attrs`` (IVR keys etc.) are opaque to the core."""

    call_id: str
    queue: str
    caller: str
    channel: str
    entered_at: float
    priority: int = 0
    state: CallState = CallState.WAITING
    agent_id: str | None = None
    attrs: dict[str, str] = field(default_factory=dict)
    answered_at: float | None = None
