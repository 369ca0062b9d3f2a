"""The index entries an agent or a call belongs to, derived from the object alone (one rule, every store).

An entry is ``(index, score, member)``: a member of a sorted set ordered by (score, member). Stores
re-derive an object's entries on every write and apply the difference, so an index can never
disagree with the object it was derived from. Indexes:

- ``waiting:<queue>`` and ``bucket:<queue>:<tier>``: WAITING calls, score 0, the member encodes the
  offer order (highest priority, oldest ``entered_at``, lowest ``seq``) so plain string order is
  offer order (Redis: a lexicographic sorted set);
- ``due``: WAITING calls by the time of their next overflow step or maximum wait;
- ``ready:<skill>:<level>``: AVAILABLE + IDLE agents by ``idle_since`` (longest idle first);
- ``staffed:<skill>``: logged-in agents (for waiting-time estimates);
- ``wrapup``: agents in WRAP_UP by the end of their wrap-up.

Entries of the kinds in :data:`CLAIMED_KINDS` are exactly those an offer removes.
"""

from __future__ import annotations

from collections.abc import Iterable

from acd.model import PRIORITY_LIMIT, Agent, AgentState, AgentStatus, Call, CallState

Entry = tuple[str, float, str]

CLAIMED_KINDS = frozenset({"waiting", "bucket", "due", "ready"})


def call_member(call: Call) -> str:
    """The call's member in ``waiting:*`` / ``bucket:*``: string order is offer order."""
    priority = max(-PRIORITY_LIMIT + 1, min(PRIORITY_LIMIT - 1, call.priority))
    return f"{PRIORITY_LIMIT - priority:08d}|{call.entered_at:017.6f}|{call.seq:012d}|{call.call_id}"


def member_call_id(member: str) -> str:
    """The call id inside a :func:`call_member` string."""
    return member.split("|", 3)[3]


def call_entries(call: Call) -> list[Entry]:
    """Index entries of ``call``."""
    if call.state is not CallState.WAITING:
        return []
    member = call_member(call)
    entries: list[Entry] = [
        (f"waiting:{call.queue}", 0.0, member),
        (f"bucket:{call.queue}:{call.tier}", 0.0, member),
    ]
    if call.due_at is not None:
        entries.append(("due", call.due_at, call.call_id))
    return entries


def agent_entries(agent: Agent) -> list[Entry]:
    """Index entries of ``agent``."""
    if agent.status is AgentStatus.LOGGED_OUT:
        return []
    entries: list[Entry] = [(f"staffed:{skill}", 0.0, agent.agent_id) for skill in agent.skills]
    if agent.ready:
        entries += [
            (f"ready:{skill}:{level}", agent.idle_since, agent.agent_id)
            for skill, level in agent.skills.items()
        ]
    if agent.state is AgentState.WRAP_UP and agent.wrapup_until is not None:
        entries.append(("wrapup", agent.wrapup_until, agent.agent_id))
    return entries


def kind(index: str) -> str:
    """``ready`` for ``ready:tax:3`` etc."""
    return index.split(":", 1)[0]


def best_head(heads: Iterable[Call | None]) -> Call | None:
    """Among bucket heads: per queue the first in offer order; across queues the longest waiting
    (``entered_at``, then priority, then ``seq``). The rule of ``AcdStore.claim_best``."""
    per_queue: dict[str, Call] = {}
    for call in heads:
        if call is not None:
            held = per_queue.get(call.queue)
            if held is None or call.order_key < held.order_key:
                per_queue[call.queue] = call
    if not per_queue:
        return None
    return min(per_queue.values(), key=lambda c: (c.entered_at, -c.priority, c.seq, c.call_id))
