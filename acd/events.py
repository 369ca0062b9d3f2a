"""Facts the ACD core reacts to: agent requests, call progress reported by Asterisk, and timer ticks."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TypeAlias


@dataclass(frozen=True, slots=True)
class AgentLoggedIn:
    """The agent logs in with a phone ``contact``; they start PAUSED (reason "login") until ready."""

    agent_id: str
    contact: str
    skills: Mapping[str, int]


@dataclass(frozen=True, slots=True)
class AgentReady:
    """The agent becomes AVAILABLE; during wrap-up this also ends the wrap-up early."""

    agent_id: str


@dataclass(frozen=True, slots=True)
class AgentPaused:
    """The agent pauses with a reason (小休, 就餐, 培训, 会议 ...); a current call goes on."""

    agent_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class AgentLoggedOut:
    """The agent logs out; allowed only while IDLE or in WRAP_UP."""

    agent_id: str


@dataclass(frozen=True, slots=True)
class CallQueued:
    """A caller reached the hold loop of ``queue``; higher ``priority`` is served sooner."""

    call_id: str
    queue: str
    caller: str
    channel: str
    priority: int = 0
    attrs: Mapping[str, str] = field(default_factory=dict)
    priority_class: str | None = None
    """A class of :attr:`acd.model.AcdPolicy.priority_classes`; the higher of the two priorities wins."""
    target_agent: str | None = None
    """Offer the call to this agent first (a transfer to a named agent); when that agent is not ready,
    or does not answer, the call waits in ``queue`` like any other."""


@dataclass(frozen=True, slots=True)
class CallAbandoned:
    """The caller hung up while WAITING or OFFERED."""

    call_id: str
    reason: str = "abandoned"
    """Why the call ended without a person: ``abandoned`` (the caller left) or ``node_failure`` (its
    Asterisk node died)."""


@dataclass(frozen=True, slots=True)
class OfferAnswered:
    """The agent leg answered and was bridged to the caller."""

    call_id: str
    agent_id: str


@dataclass(frozen=True, slots=True)
class OfferFailed:
    """The agent leg failed or was not answered (RONA): the agent pauses, the call goes back to the head."""

    call_id: str
    agent_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class BridgeFailed:
    """The agent answered but their leg could not be bridged to the caller: the agent is free again (not
    their fault, no pause) and the call waits at its old place in line under ``channel``, the caller's
    channel name now (empty: unchanged); ``give_up`` ends the call instead (it keeps failing)."""

    call_id: str
    agent_id: str
    channel: str = ""
    give_up: bool = False


@dataclass(frozen=True, slots=True)
class CallFinished:
    """A connected call hung up; the agent enters wrap-up."""

    call_id: str


@dataclass(frozen=True, slots=True)
class ChatJoined:
    """An agent already handling a chat accepted one more WAITING chat (acd.chats)."""

    call_id: str
    agent_id: str


@dataclass(frozen=True, slots=True)
class ChatFinished:
    """A connected chat ended; ``still_held``: the other chats its agent still handles (acd.chats)."""

    call_id: str
    still_held: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Tick:
    """Time passed: wrap-ups, overflow steps and maximum waits whose time has come take effect."""


@dataclass(frozen=True, slots=True)
class CallbackRequested:
    """A WAITING caller asked to be called back at ``number`` (default: the caller's number).

    The call keeps its place in line as a callback entry; the caller's hangup no longer abandons it.
    """

    call_id: str
    number: str | None = None


@dataclass(frozen=True, slots=True)
class CallbackCancelled:
    """A WAITING callback entry is withdrawn (e.g. the citizen called again or was reached otherwise)."""

    call_id: str


@dataclass(frozen=True, slots=True)
class SurgeMode:
    """Open (``on``) or close extra agent groups for ``queues`` (empty: every queue).

    With ``skills`` empty, each queue's configured ``surge_skills`` are opened; closing closes all of
    a queue's surge groups.
    """

    on: bool
    queues: tuple[str, ...] = ()
    skills: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PositionQuery:
    """The hold loop asks what to announce to a WAITING caller; answered by AnnouncePosition."""

    call_id: str


AcdEvent: TypeAlias = (
    AgentLoggedIn
    | AgentReady
    | AgentPaused
    | AgentLoggedOut
    | CallQueued
    | CallAbandoned
    | OfferAnswered
    | OfferFailed
    | BridgeFailed
    | CallFinished
    | Tick
    | CallbackRequested
    | CallbackCancelled
    | SurgeMode
    | PositionQuery
    | ChatJoined
    | ChatFinished
)
