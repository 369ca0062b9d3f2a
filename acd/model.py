"""The ACD's nouns: agents, calls, queues and centre policy, in the vocabulary of FreeSWITCH mod_callcenter.

An agent's *status* is chosen by the agent (logged out, available, paused with a reason); an agent's
*state* is set by the system (idle, offered, on call, wrap-up). Only an agent that is AVAILABLE and
IDLE is offered calls.

A queue serves its callers first with agents having its ``skill`` at ``min_level`` or above (tier 0);
each :class:`OverflowStep` widens that after a wait (bullseye: lower levels, more skill groups), and
surge mode may open extra groups at once. A call's ``tier`` is the number of steps it has reached.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

from acd.thresholds import QueueThresholds

DEFAULT_PAUSE_REASONS: tuple[str, ...] = ("小休", "就餐", "培训", "会议")
"""Pause reasons an agent may choose unless the centre configures its own list."""

DEFAULT_PRIORITY_CLASSES: Mapping[str, int] = {
    "elderly": 5,
    "callback": 3,
    "transferred_back": 4,
    "vip": 8,
}
"""Caller priority classes and the priority number each one gets (higher is served sooner)."""

DIALABLE = re.compile(r"[0-9]{3,20}")
"""A caller number that can be dialled back (the same rule as the service's dial strings)."""

NODE_ATTR = "node"
"""Call attribute: the Asterisk node the caller's channel is on (empty with one unnamed node)."""

NODE_FAILURE = "node_failure"
"""End reason (and record outcome) of a call whose Asterisk node died under it."""

CONSULT_TAG = "consult"
"""Tag of a call that is an agent's consultation (attended transfer), not a citizen waiting."""

CHAT_TAG = "chat"
"""Tag of a text chat waiting or handled like a call (acd.chats): offered on the agent's desktop, no AMI."""

PRIORITY_LIMIT = 10_000_000
"""Priorities are clamped to ``(-PRIORITY_LIMIT, PRIORITY_LIMIT)`` so stores can encode them."""

ExitKind = Literal["queue", "voicemail", "callback"]


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


@dataclass(frozen=True, slots=True)
class OverflowStep:
    """After ``after_s`` in the queue, agents with any of ``skills`` at ``min_level`` or above qualify too.

    An empty ``skills`` means the queue's own skill (widening by level only).
    """

    after_s: float
    skills: tuple[str, ...] = ()
    min_level: int = 1


@dataclass(frozen=True, slots=True)
class MaxWait:
    """After ``after_s`` in the queue a caller leaves it: to queue ``target``, to voicemail (a work order
    in category ``target``) or to a callback entry that keeps the caller's place."""

    after_s: float
    kind: ExitKind
    target: str = ""


@dataclass(slots=True)
class QueueConfig:
    """A queue serves callers with agents having ``skill``; ``strategy`` names a registered strategy."""

    name: str
    skill: str
    wrapup_seconds: float = 15.0
    strategy: str = "longest_idle"
    min_level: int = 1
    overflow: tuple[OverflowStep, ...] = ()
    max_wait: MaxWait | None = None
    surge_skills: tuple[str, ...] = ()
    thresholds: QueueThresholds = field(default_factory=QueueThresholds)


@dataclass(frozen=True, slots=True)
class AcdPolicy:
    """Centre-wide rules: the pause reasons agents may choose and the caller priority classes."""

    pause_reasons: tuple[str, ...] = DEFAULT_PAUSE_REASONS
    priority_classes: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_PRIORITY_CLASSES))
    default_handle_s: float = 180.0
    stats_window_s: float = 900.0


@dataclass(slots=True)
class Agent:
    """One call-centre agent; ``skills`` maps a skill to a level (1 = lowest)."""

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
    talk_s: float = 0.0
    version: int = 0

    @property
    def ready(self) -> bool:
        """True when the agent may be offered a call right now."""
        return self.status is AgentStatus.AVAILABLE and self.state is AgentState.IDLE

    @property
    def idle_key(self) -> tuple[float, str]:
        """Longest idle first."""
        return (self.idle_since, self.agent_id)


@dataclass(slots=True)
class Call:
    """A caller in (or through) a queue; ``attrs`` (IVR keys etc.) are opaque to the core.

    ``callback`` is the number to ring back once the caller left a callback entry; ``queue_since``
    is when the call entered its current queue (overflow and maximum wait count from it), while
    ``entered_at`` (its place in line) survives moves between queues.
    """

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
    seq: int = 0
    tier: int = 0
    queue_since: float | None = None
    due_at: float | None = None
    callback: str | None = None
    priority_class: str | None = None
    version: int = 0

    @property
    def order_key(self) -> tuple[int, float, int, str]:
        """Offer order within a queue: highest priority, then oldest, then first arrived."""
        return (-self.priority, self.entered_at, self.seq, self.call_id)

    @property
    def tags(self) -> list[str]:
        """The IVR tags of the call (``attrs["tags"]``, comma-separated)."""
        return [t for t in self.attrs.get("tags", "").split(",") if t]

    @property
    def since(self) -> float:
        """When the call entered its current queue."""
        return self.entered_at if self.queue_since is None else self.queue_since
