"""Live figures of the centre for supervisors' wallboards, computed from the ACD's state (no I/O).

Per queue: calls waiting, the longest wait and the estimated wait of a caller joining now; the agents
serving it (having its skill at its minimum level) by what they do now: ready, offered a call, on a
call, in wrap-up, paused by reason. Per agent: status and state, since when (idle: since the last
call ended; on a call: since it was answered), the current call with the number masked as the agent
would see it, calls handled and talk time.

The estimated wait is the one the ACD announces to a caller at a place in line (acd.erlang
``wait_at_position``): the caller joining now would be at place ``waiting + 1``, served by the
queue's signed-in agents at the queue's recent mean handle time; 0 when nobody waits and an agent is
ready; None when no agent serving the queue is signed in (no estimate can be made).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from acd.erlang import wait_at_position
from acd.model import AcdPolicy, Agent, AgentState, AgentStatus, Call, CallState, QueueConfig
from privacy.masking import is_confidential, mask_number

DEFAULT_HANDLE_S = AcdPolicy().default_handle_s
"""Mean handle time assumed for a queue whose recent handle times are not given."""


def estimated_wait(*, waiting: int, ready: int, staffed: int, aht_s: float) -> float | None:
    """Estimated wait in seconds of a caller joining a queue now (see the module docstring)."""
    if waiting == 0 and ready > 0:
        return 0.0
    if staffed <= 0:
        return None
    return round(wait_at_position(waiting + 1, staffed, aht_s), 1)


def queue_figures(
    queue: QueueConfig,
    agents: Iterable[Agent],
    waiting: Iterable[Call],
    now: float,
    *,
    aht_s: float = DEFAULT_HANDLE_S,
) -> dict[str, Any]:
    """One queue's live figures (``agents``: the signed-in agents; ``aht_s``: the queue's mean
    handle time)."""
    serving = [a for a in agents if a.skills.get(queue.skill, 0) >= queue.min_level]
    waits = [now - c.entered_at for c in waiting if c.queue == queue.name]
    paused = Counter(a.pause_reason or "" for a in serving if a.status is AgentStatus.PAUSED)
    doing = Counter(a.state for a in serving if a.status is not AgentStatus.PAUSED)
    ready = sum(1 for a in serving if a.ready)
    return {
        "queue": queue.name,
        "waiting": len(waits),
        "longest_wait_s": round(max(waits, default=0.0), 1),
        "estimated_wait_s": estimated_wait(
            waiting=len(waits), ready=ready, staffed=len(serving), aht_s=aht_s
        ),
        "agents": len(serving),
        "ready": ready,
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


def agent_call_id(agent: Agent) -> str | None:
    """The id of the call shown with the agent: the one offered to them, else their current one."""
    return agent.offered_call_id or agent.current_call_id or None


def centre_figures(
    queues: Mapping[str, QueueConfig],
    agents: Iterable[Agent],
    calls: Iterable[Call],
    now: float,
    *,
    aht_s: Mapping[str, float] | None = None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every queue's and every signed-in agent's figures, sorted by name (``aht_s``: mean handle
    time per queue, the policy's default for a queue not in it)."""
    signed_in = sorted(
        (a for a in agents if a.status is not AgentStatus.LOGGED_OUT), key=lambda a: a.agent_id
    )
    by_id = {c.call_id: c for c in calls}
    waiting = [c for c in by_id.values() if c.state is CallState.WAITING]
    handle = aht_s or {}
    return (
        [
            queue_figures(queues[name], signed_in, waiting, now, aht_s=handle.get(name, DEFAULT_HANDLE_S))
            for name in sorted(queues)
        ],
        [agent_figures(a, by_id.get(agent_call_id(a) or "")) for a in signed_in],
    )
