"""JSON-able views of agents, calls and queues for snapshots, desktops and wallboards."""

from __future__ import annotations

from acd.model import Agent, Call, QueueConfig


def agent_view(agent: Agent) -> dict[str, object]:
    """One agent as plain data."""
    return {
        "agent_id": agent.agent_id,
        "contact": agent.contact,
        "skills": dict(agent.skills),
        "status": str(agent.status),
        "state": str(agent.state),
        "pause_reason": agent.pause_reason,
        "idle_since": agent.idle_since,
        "offered_call_id": agent.offered_call_id,
        "current_call_id": agent.current_call_id,
        "wrapup_until": agent.wrapup_until,
        "calls_handled": agent.calls_handled,
        "talk_s": agent.talk_s,
    }


def call_view(call: Call) -> dict[str, object]:
    """One call as plain data."""
    return {
        "call_id": call.call_id,
        "queue": call.queue,
        "caller": call.caller,
        "channel": call.channel,
        "entered_at": call.entered_at,
        "priority": call.priority,
        "state": str(call.state),
        "agent_id": call.agent_id,
        "attrs": dict(call.attrs),
        "answered_at": call.answered_at,
        "tier": call.tier,
        "queue_since": call.since,
        "callback": call.callback,
        "priority_class": call.priority_class,
    }


def queue_view(queue: QueueConfig, waiting: int, ready: int, surge: tuple[str, ...]) -> dict[str, object]:
    """One queue's configuration and counters as plain data."""
    return {
        "queue": queue.name,
        "skill": queue.skill,
        "strategy": queue.strategy,
        "wrapup_seconds": queue.wrapup_seconds,
        "waiting": waiting,
        "available_agents": ready,
        "surge_skills": list(surge),
    }
