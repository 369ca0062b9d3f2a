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
    """A call changed state; ``reason`` is queued, offered, answered, requeued, abandoned, finished,
    overflowed (a wider tier), callback, callback_cancelled, exited or moved (to another queue)."""

    call_id: str
    state: CallState
    queue: str
    agent_id: str | None
    reason: str | None
    waited_s: float
    tags: tuple[str, ...] = ()
    """The call's IVR tags (``consult`` marks an agent's consultation leg, not a citizen's call)."""


@dataclass(frozen=True, slots=True)
class QueueChanged:
    """A queue's waiting count or its number of agents ready to take a call changed."""

    queue: str
    waiting: int
    available_agents: int


@dataclass(frozen=True, slots=True)
class OfferCallback:
    """Ring the agent's ``contact`` first; once answered, dial the citizen at ``number`` and bridge.

    The outcome is reported like an offer: OfferAnswered when the agent answered (the citizen is dialled
    then), OfferFailed when the agent did not; CallFinished when the agent leg ends.
    """

    call_id: str
    agent_id: str
    contact: str
    queue: str
    number: str
    waited_s: float
    attrs: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ExitCall:
    """A caller reached the queue's maximum wait and leaves ``queue``.

    ``target_kind`` "voicemail": the call has ended in the ACD; send ``channel`` to record a message that
    becomes a work order in category ``target``. "callback": the call stays in line as a callback entry
    to ``caller``; tell the caller and hang up. "queue": already moved to queue ``target`` by the
    engine (keeping its place by ``entered_at``); nothing to do beyond announcing it.
    """

    call_id: str
    queue: str
    target_kind: str
    target: str
    channel: str
    caller: str
    waited_s: float


@dataclass(frozen=True, slots=True)
class AnnouncePosition:
    """Tell the WAITING caller on ``channel`` their 1-based ``position`` and estimated wait ``ewt_s``."""

    call_id: str
    channel: str
    queue: str
    position: int
    ewt_s: float


AcdCommand: TypeAlias = (
    OfferCall
    | ScheduleTick
    | AgentChanged
    | CallChanged
    | QueueChanged
    | OfferCallback
    | ExitCall
    | AnnouncePosition
)
