"""Text chats in the ACD: a chat waits in a queue like a call and its agent's capacity follows one rule.

A chat is a :class:`acd.model.Call` tagged ``chat`` (``CHAT_TAG``): it waits in the same queues, with the
same skills, tiers, overflow and priorities, and is counted as waiting like any call. Its first offer
is the ordinary one: only an AVAILABLE + IDLE agent gets it (OfferCall; the service hands it to the
desktop instead of ringing a phone) and the agent's accept is OfferAnswered, so the agent is ON_CALL.

Capacity rule: **an agent holding any chat is offered no call**. While the agent holds a chat they are
ON_CALL (``current_call_id`` is one of their chats), so the matcher, which offers only to AVAILABLE +
IDLE agents, never offers them a call or a first chat. More chats come only through ``ChatJoined``:
the chat layer (chat.router) offers a WAITING chat to an AVAILABLE agent whose current call is a chat
and who holds fewer than the centre's chat limit, and the accept joins it here (call WAITING ->
OFFERED -> CONNECTED in one step; the agent is untouched). ``ChatFinished`` ends one chat: if its agent
still holds others (``still_held``, which the chat layer knows), their current call moves to one of
them and they stay ON_CALL; the last one ends like a call (wrap-up). Chats are left out of the queue's
arrival and handle-time statistics, as consultations are: a chat lasts longer than a call and would
distort the callers' estimated waits.
"""

from __future__ import annotations

from acd.core import EngineBase, Run
from acd.errors import IllegalTransition
from acd.events import ChatFinished, ChatJoined
from acd.machine import AgentTrigger, CallTrigger, next_agent, next_call
from acd.model import CHAT_TAG, Agent, AgentState, AgentStatus, Call, CallState


def is_chat(call: Call) -> bool:
    """Whether the call is a text chat."""
    return CHAT_TAG in call.tags


class ChatHandling(EngineBase):
    """The engine's handlers of the chat events."""

    def chat_joined(self, event: ChatJoined, run: Run) -> None:
        """Give the WAITING chat ``event.call_id`` to an agent who is handling a chat already."""
        call = self.call(event.call_id)
        agent = self.agent(event.agent_id)
        self._check_chat(call, "join")
        if not self._holds_chat(agent) or agent.status is not AgentStatus.AVAILABLE:
            raise IllegalTransition(
                f"agent {agent.agent_id} is not available on a chat",
                kind="agent",
                agent_id=agent.agent_id,
                status=str(agent.status),
                state=str(agent.state),
                trigger="join",
            )
        offered = next_call(call.state, CallTrigger.OFFER, call_id=call.call_id)
        connected = next_call(offered, CallTrigger.ANSWER, call_id=call.call_id)
        call.agent_id, call.answered_at = agent.agent_id, run.now
        self.set_call(call, connected, "answered", run)

    def chat_finished(self, event: ChatFinished, run: Run) -> None:
        """End the connected chat; its agent stays on their other chats, or wraps up after the last."""
        call = self.call(event.call_id)
        self._check_chat(call, "hangup")
        ended = next_call(call.state, CallTrigger.HANGUP, call_id=call.call_id)
        agent = self.agent(call.agent_id or "")
        if agent.current_call_id == call.call_id:
            others = [c for c in event.still_held if self._held_by(c, agent)]
            if others:
                agent.current_call_id = others[0]
                self.set_agent(agent, agent.status, agent.state, run)
            else:
                status, state = next_agent(
                    agent.status, agent.state, AgentTrigger.HANGUP, agent_id=agent.agent_id
                )
                wrapup = self.queues[call.queue].wrapup_seconds
                agent.current_call_id, agent.wrapup_until = None, run.now + wrapup
                agent.calls_handled += 1
                self.set_agent(agent, status, state, run)
        self.set_call(call, ended, "finished", run)

    def _check_chat(self, call: Call, trigger: str) -> None:
        if not is_chat(call):
            raise IllegalTransition(
                f"call {call.call_id} is not a chat",
                kind="call",
                call_id=call.call_id,
                state=str(call.state),
                trigger=trigger,
            )

    def _holds_chat(self, agent: Agent) -> bool:
        if agent.state is not AgentState.ON_CALL or agent.current_call_id is None:
            return False
        current = self.store.get_call(agent.current_call_id)
        return current is not None and is_chat(current)

    def _held_by(self, call_id: str, agent: Agent) -> bool:
        other = self.store.get_call(call_id)
        return (
            other is not None
            and other.state is CallState.CONNECTED
            and other.agent_id == agent.agent_id
            and is_chat(other)
        )
