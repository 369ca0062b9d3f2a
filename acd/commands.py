"""What the ACD core asks the outside world to do; the async service executes these in order."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TypeAlias

from acd.model import AgentState, AgentStatus, CallState


@dataclass(frozen=True, slots=True)
class OfferCall:
    """Push the screen-pop to the agent, then ring ``contact`` and bridge it onto ``channel``."""

    call_id: str
    agent_id: str
    contact: str
    queue: str
    caller: str
    channel: str
    waited_s: float
    attrs: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ScheduleTick:
    """Deliver a :class:`acd.events.Tick` to the engine at time ``at``."""

    at: float


@dataclass(frozen=True, slots=True)
class AgentChanged:
    """An agent's status, state or pause reason changed; publish it."""

    agent_id: str
    status: AgentStatus
    state: AgentState
    pause_reason: str | None


@dataclass(frozen=True, slots=True)
class CallChanged:
    """A call changed state; ``reason`` is queued, offered, answered, requeued, abandoned or finished."""

    call_id: str
    state: CallState
    queue: str
    agent_id: str | None
    reason: str | None
    waited_s: float


@dataclass(frozen=True, slots=True)
class QueueChanged:
    """A queue's waiting count or its number of agents ready to take a call changed."""

    queue: str
    waiting: int
    available_agents: int


AcdCommand: TypeAlias = OfferCall | ScheduleTick | AgentChanged | CallChanged | QueueChanged
