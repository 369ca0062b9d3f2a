"""Live figures of the centre for supervisors' wallboards, computed from the ACD's state (no I/O).

Per queue: calls waiting and the longest wait; the agents serving it (having its skill at its minimum
level) by what they do now: ready, offered a call, on a call, in wrap-up, paused by reason. Per agent:
status and state, since when (idle: since the last call ended; on a call: since it was answered), the
current call with the number masked as the agent would see it, calls handled and talk time.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from acd.model import Agent, AgentState, AgentStatus, Call, CallState, QueueConfig
from privacy.masking import is_confidential, mask_number


def queue_figures(
    queue: QueueConfig, agents: Iterable[Agent], waiting: Iterable[Call], now: float
) -> dict[str, Any]:
    """One queue's live figures."""
    serving = [a for a in agents if a.skills.get(queue.skill, 0) >= queue.min_level]
    waits = [now - c.entered_at for c in waiting if c.queue == queue.name]
    paused = Counter(a.pause_reason or "" for a in serving if a.status is AgentStatus.PAUSED)
    doing = Counter(a.state for a in serving if a.status is not AgentStatus.PAUSED)
    return {
        "queue": queue.name,
        "waiting": len(waits),
        "longest_wait_s": round(max(waits, default=0.0), 1),
        "agents": len(serving),
        "ready": sum(1 for a in serving if a.ready),
        "offered": doing[AgentState.OFFERED],
        "on_call": doing[AgentState.ON_CALL],
        "wrap_up": doing[AgentState.WRAP_UP],
        "paused": dict(sorted(paused.items())),
    }


def agent_figures(agent: Agent, call: Call | None) -> dict[str, Any]:
    """One agent's live figures (``call``: the agent's offered or current call)."""
    since: float | None = agent.idle_since or None
    shown = None
    if call is not None:
        confidential = is_confidential(call.attrs)
        shown = {
            "call_id": call.call_id,
            "queue": call.queue,
            "caller": mask_number(call.caller) if confidential else call.caller,
            "masked": confidential,
        }
        since = call.answered_at if call.state is CallState.CONNECTED else since
    return {
        "agent_id": agent.agent_id,
        "status": str(agent.status),
        "state": str(agent.state),
        "pause_reason": agent.pause_reason,
        "since": since,
        "call": shown,
        "calls_handled": agent.calls_handled,
        "talk_s": round(agent.talk_s, 1),
    }


def centre_figures(
    queues: Mapping[str, QueueConfig], agents: Iterable[Agent], calls: Iterable[Call], now: float
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every queue's and every signed-in agent's figures, sorted by name."""
    signed_in = sorted(
        (a for a in agents if a.status is not AgentStatus.LOGGED_OUT), key=lambda a: a.agent_id
    )
    by_id = {c.call_id: c for c in calls}
    waiting = [c for c in by_id.values() if c.state is CallState.WAITING]
    return (
        [queue_figures(queues[name], signed_in, waiting, now) for name in sorted(queues)],
        [agent_figures(a, by_id.get(a.offered_call_id or a.current_call_id or "")) for a in signed_in],
    )
