"""What this app node told the ACD, kept so it can tell it again when the shared store loses its data.

A flushed Redis, or a failover to an empty replica, leaves the ACD with no agents and no waiting calls:
desktops still show agents signed in and callers still hear music, but nobody is offered anything. Each
node remembers the sign-ins and statuses its desktops asked for and the callers it saw queue and still
waiting; when the store reports lost data (``AcdStore.data_generation``), :meth:`NodeMemory.replay`
gives the events that put them back. An agent who was on a call signs in paused (the talk goes on in
Asterisk; they make themselves available after it); a caller who was being offered or talking is not
queued again. Calls come back at the end of their queue with their priority.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from acd.commands import AcdCommand, AgentChanged, CallChanged
from acd.events import AcdEvent, AgentLoggedIn, AgentLoggedOut, AgentPaused, AgentReady, CallQueued
from acd.store import AcdStore


@dataclass(slots=True)
class AgentIntent:
    """An agent's sign-in as this node last applied it."""

    contact: str
    skills: Mapping[str, int]
    status: str = "signed_in"
    reason: str = ""


class NodeMemory:
    """Sign-ins, statuses and waiting callers this node has applied (see the module docstring)."""

    def __init__(self) -> None:
        self.agents: dict[str, AgentIntent] = {}
        self.busy: set[str] = set()
        self.queued: dict[str, CallQueued] = {}
        self.waiting: set[str] = set()

    def note_event(self, event: AcdEvent) -> None:
        """An event the engine accepted."""
        if isinstance(event, AgentLoggedIn):
            self.agents[event.agent_id] = AgentIntent(event.contact, dict(event.skills))
        elif isinstance(event, AgentLoggedOut):
            self.agents.pop(event.agent_id, None)
            self.busy.discard(event.agent_id)
        elif isinstance(event, AgentReady) and event.agent_id in self.agents:
            self.agents[event.agent_id].status = "available"
        elif isinstance(event, AgentPaused) and event.agent_id in self.agents:
            intent = self.agents[event.agent_id]
            intent.status, intent.reason = "paused", event.reason
        elif isinstance(event, CallQueued):
            self.queued[event.call_id] = event
            self.waiting.add(event.call_id)

    def note_command(self, command: AcdCommand) -> None:
        """A change the engine published."""
        if isinstance(command, AgentChanged):
            if str(command.state) == "idle":
                self.busy.discard(command.agent_id)
            else:
                self.busy.add(command.agent_id)
        elif isinstance(command, CallChanged):
            state = str(command.state)
            if state == "ended":
                self.queued.pop(command.call_id, None)
                self.waiting.discard(command.call_id)
            elif state == "waiting" and command.call_id in self.queued:
                self.waiting.add(command.call_id)
            else:
                self.waiting.discard(command.call_id)

    def forget_call(self, call_id: str) -> None:
        """The caller's channel is gone (every node hears its Hangup, also for calls another node applied)."""
        self.queued.pop(call_id, None)
        self.waiting.discard(call_id)

    def replay(self, store: AcdStore) -> list[AcdEvent]:
        """The events that put back what ``store`` lost: sign-ins and statuses, then waiting callers."""
        events: list[AcdEvent] = []
        for agent_id, intent in self.agents.items():
            if store.get_agent(agent_id) is not None:
                continue
            events.append(AgentLoggedIn(agent_id=agent_id, contact=intent.contact, skills=intent.skills))
            if agent_id in self.busy:
                continue
            if intent.status == "available":
                events.append(AgentReady(agent_id=agent_id))
            elif intent.status == "paused":
                events.append(AgentPaused(agent_id=agent_id, reason=intent.reason))
        self.busy.clear()
        events.extend(self.queued[c] for c in sorted(self.waiting) if store.get_call(c) is None)
        return events
