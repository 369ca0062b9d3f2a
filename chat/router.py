"""Which waiting chat goes to which agent already handling chats (no I/O).

The ACD offers a chat to an AVAILABLE + IDLE agent by itself (acd.chats). An agent who is on chats
may take more, up to the centre's chat limit: this module picks those offers. Rules:

- only agents AVAILABLE and ON_CALL on a chat (their current call is a chat), so an agent on a phone
  call, paused, or in wrap-up gets none;
- an agent's load is their connected chats plus the chats offered to them and not yet answered; an
  agent at the limit is offered nothing;
- waiting chats go in the ACD's offer order (priority, then time in line), each to the qualified agent
  with the lowest load (then the longest on their current work, by agent id for a stable order); an
  agent qualifies for a chat by the same queue tiers as for a call (``Routing.entry_tiers``);
- a chat already offered, or declined by that agent, is not offered (to them) again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from acd.chats import is_chat
from acd.model import Agent, AgentState, AgentStatus, Call, CallState


@dataclass(frozen=True, slots=True)
class JoinOffer:
    """Offer chat ``call_id`` to ``agent_id``, who is on chats already."""

    call_id: str
    agent_id: str


def pick_joins(
    *,
    agents: Iterable[Agent],
    calls: Iterable[Call],
    limit: int,
    pending: Mapping[str, str],
    declined: Mapping[str, frozenset[str]],
    entry_tiers: Callable[[Agent], dict[str, int]],
) -> list[JoinOffer]:
    """The join offers to make now (``pending``: call id -> agent offered it, not yet answered)."""
    calls = list(calls)
    by_id = {c.call_id: c for c in calls}
    load: dict[str, int] = {}
    for call in calls:
        if call.state is CallState.CONNECTED and call.agent_id is not None and is_chat(call):
            load[call.agent_id] = load.get(call.agent_id, 0) + 1
    for agent_id in pending.values():
        load[agent_id] = load.get(agent_id, 0) + 1
    takers = [a for a in agents if _on_chats(a, by_id) and load.get(a.agent_id, 0) < limit]
    tiers = {a.agent_id: entry_tiers(a) for a in takers}
    waiting = sorted(
        (c for c in calls if c.state is CallState.WAITING and is_chat(c) and c.call_id not in pending),
        key=lambda c: c.order_key,
    )
    offers: list[JoinOffer] = []
    for call in waiting:
        refused = declined.get(call.call_id, frozenset())
        fit = [
            a
            for a in takers
            if a.agent_id not in refused
            and load.get(a.agent_id, 0) < limit
            and call.tier >= tiers[a.agent_id].get(call.queue, call.tier + 1)
        ]
        if not fit:
            continue
        chosen = min(fit, key=lambda a: (load.get(a.agent_id, 0), a.agent_id))
        load[chosen.agent_id] = load.get(chosen.agent_id, 0) + 1
        offers.append(JoinOffer(call.call_id, chosen.agent_id))
    return offers


def _on_chats(agent: Agent, calls: Mapping[str, Call]) -> bool:
    if agent.status is not AgentStatus.AVAILABLE or agent.state is not AgentState.ON_CALL:
        return False
    current = calls.get(agent.current_call_id or "")
    return current is not None and is_chat(current)
