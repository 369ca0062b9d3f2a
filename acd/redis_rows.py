"""How the Redis store (acd.store_redis) lays out one agent or call: hash fields, the JSON of the fields
an offer does not change, the arguments of the write scripts, and the replies of the claim scripts."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from acd.indexes import agent_entries, call_entries
from acd.model import Agent, AgentState, AgentStatus, Call, CallState
from acd.store import Claim


def claimed(out: list[Any], agent_id: str) -> Claim:
    if int(out[0]) != 1:
        return Claim(lost=str(out[1]))
    call_id = str(out[6])
    call = call_from_row(call_id, [out[1], out[2], CallState.OFFERED, agent_id])
    agent = agent_from_row(agent_id, [out[3], out[4], out[5], AgentState.OFFERED, call_id])
    return Claim(call=call, agent=agent)


def pairs(flat: Sequence[int]) -> list[tuple[int, int]]:
    return [(int(flat[i]), int(flat[i + 1])) for i in range(0, len(flat), 2)]


def agent_fields(agent: Agent) -> list[str]:
    """The agent hash's field/value pairs (besides ``v`` and ``ix``)."""
    offered = agent.offered_call_id or ""
    return ["d", agent_json(agent), "status", agent.status, "state", agent.state, "offered", offered]


def agent_put_args(agent: Agent) -> list[str]:
    """ix JSON, then the hash's field/value pairs (what PUT takes after the version)."""
    return [json.dumps(agent_entries(agent)), *agent_fields(agent)]


def call_put_args(call: Call) -> list[str]:
    """ix JSON, then the hash's field/value pairs (what PUT takes after the version)."""
    fields = ["d", call_json(call), "state", call.state, "agent", call.agent_id or ""]
    return [json.dumps(call_entries(call)), *fields]


AGENT_FIELDS = ("d", "v", "status", "state", "offered")
CALL_FIELDS = ("d", "v", "state", "agent")


def agent_json(agent: Agent) -> str:
    return json.dumps(
        [
            agent.contact,
            agent.skills,
            agent.pause_reason,
            agent.idle_since,
            agent.current_call_id,
            agent.wrapup_until,
            agent.calls_handled,
            agent.talk_s,
        ],
        ensure_ascii=False,
    )


def agent_from_row(agent_id: str, row: Sequence[Any]) -> Agent | None:
    d, v, status, state, offered = row
    if d is None:
        return None
    contact, skills, pause, idle, current, wrapup, handled, talk = json.loads(d)
    return Agent(
        agent_id=agent_id,
        contact=contact,
        skills=skills,
        status=AgentStatus(status),
        state=AgentState(state),
        pause_reason=pause,
        idle_since=idle,
        offered_call_id=offered or None,
        current_call_id=current,
        wrapup_until=wrapup,
        calls_handled=handled,
        talk_s=talk,
        version=int(v),
    )


def call_json(call: Call) -> str:
    return json.dumps(
        [
            call.queue,
            call.caller,
            call.channel,
            call.entered_at,
            call.priority,
            call.attrs,
            call.answered_at,
            call.seq,
            call.tier,
            call.queue_since,
            call.due_at,
            call.callback,
            call.priority_class,
        ],
        ensure_ascii=False,
    )


def call_from_row(call_id: str, row: Sequence[Any]) -> Call | None:
    d, v, state, agent = row
    if d is None:
        return None
    queue, caller, channel, entered, priority, attrs, answered, seq, tier, since, due, callback, cls = (
        json.loads(d)
    )
    return Call(
        call_id=call_id,
        queue=queue,
        caller=caller,
        channel=channel,
        entered_at=entered,
        priority=priority,
        state=CallState(state),
        agent_id=agent or None,
        attrs=attrs,
        answered_at=answered,
        seq=seq,
        tier=tier,
        queue_since=since,
        due_at=due,
        callback=callback,
        priority_class=cls,
        version=int(v),
    )
