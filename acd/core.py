"""The engine's shared state and its only write path: every agent and call change goes through here.

``set_agent`` / ``set_call`` write one object and append the commands reporting it; they also note
in the current :class:`Run` which queues need matching (a call became WAITING or changed tier),
which agents became ready, which queues' counters changed and whether a timer may have moved.
The one write that is not a plain ``put_*`` is a claim (acd.matching), reported with the same
``report_agent`` / ``report_call``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from types import EllipsisType

from acd.commands import AcdCommand, AgentChanged, CallChanged
from acd.erlang import QueueStats
from acd.errors import UnknownAgent, UnknownCall
from acd.model import AcdPolicy, Agent, AgentState, AgentStatus, Call, CallState, QueueConfig
from acd.overflow import Routing
from acd.store import AcdStore
from acd.strategies import Strategy, make_strategy


class Run:
    """What one ``handle`` call has produced so far."""

    __slots__ = ("commands", "counts", "dirty", "earliest", "lost", "now", "ready", "timers", "touched")

    def __init__(self, now: float) -> None:
        self.now = now
        self.commands: list[AcdCommand] = []
        self.dirty: dict[str, None] = {}
        self.touched: dict[str, None] = {}
        self.ready: dict[str, Agent] = {}
        self.timers = False
        self.earliest = math.inf
        self.lost = 0
        self.counts: dict[str, tuple[int, int]] = {}
        """(waiting, ready) per queue as read by the last store step; any change reported after it
        clears them (``report_agent`` / ``report_call``), so they are never older than the state."""

    def timer(self, at: float | None) -> None:
        """Note a timer written at ``at`` (None: none)."""
        if at is not None:
            self.timers = True
            self.earliest = min(self.earliest, at)


class EngineBase:
    """Configuration, store and the write helpers every part of the engine uses."""

    def __init__(self, *, queues: Sequence[QueueConfig], store: AcdStore, policy: AcdPolicy | None) -> None:
        self.store = store
        self.policy = policy or AcdPolicy()
        self.queues: dict[str, QueueConfig] = {q.name: q for q in queues}
        self.routing = Routing(queues)
        self.strategies: dict[str, Strategy] = {q.name: make_strategy(q.strategy) for q in queues}
        self.stats: dict[str, QueueStats] = {q.name: self.new_stats() for q in queues}

    def new_stats(self) -> QueueStats:
        """Empty arrival and handle-time figures of one queue."""
        return QueueStats(window_s=self.policy.stats_window_s, default_handle_s=self.policy.default_handle_s)

    def agent(self, agent_id: str) -> Agent:
        """The agent or UnknownAgent."""
        agent = self.store.get_agent(agent_id)
        if agent is None:
            raise UnknownAgent(f"no agent {agent_id}", agent_id=agent_id)
        return agent

    def call(self, call_id: str) -> Call:
        """The live call or UnknownCall."""
        call = self.store.get_call(call_id)
        if call is None:
            raise UnknownCall(f"no live call {call_id}", call_id=call_id)
        return call

    def set_agent(
        self,
        agent: Agent,
        status: AgentStatus,
        state: AgentState,
        run: Run,
        *,
        pause_reason: str | EllipsisType | None = ...,
    ) -> None:
        """Write ``agent`` with its new status, state and pause reason (``...`` keeps it) and report it.

        Fields that are not reported (call ids, times) are set by the caller beforehand.
        """
        was = change_agent(agent, status, state, pause_reason)
        self.store.put_agent(agent)
        run.timer(agent.wrapup_until)
        self.report_agent(agent, was, run)

    def report_agent(self, agent: Agent, was: AgentWas, run: Run) -> None:
        """Append AgentChanged if the agent's visible state changed; note ready changes."""
        run.counts.clear()
        if (agent.status, agent.state, agent.pause_reason) != was[:3]:
            run.commands.append(AgentChanged(agent.agent_id, agent.status, agent.state, agent.pause_reason))
        if agent.ready != was[3]:
            for queue in self.routing.base_queues(agent.skills):
                run.touched[queue.name] = None
            if agent.ready:
                run.ready[agent.agent_id] = agent
            else:
                run.ready.pop(agent.agent_id, None)

    def set_call(
        self, call: Call, state: CallState, reason: str, run: Run, *, tier_changed: bool = False
    ) -> None:
        """Write ``call`` in its new state (deleted once ENDED) and report it."""
        was_waiting = call.state is CallState.WAITING
        call.state = state
        if state is CallState.ENDED:
            self.store.delete_call(call.call_id)
        else:
            if state is CallState.WAITING:
                call.due_at = self.routing.next_due(call)
                run.timer(call.due_at)
            self.store.put_call(call)
        self.report_call(call, reason, run, was_waiting=was_waiting, tier_changed=tier_changed)

    def report_call(
        self, call: Call, reason: str, run: Run, *, was_waiting: bool, tier_changed: bool
    ) -> None:
        """Append CallChanged; note queues to report and to match."""
        run.counts.clear()
        end = call.answered_at if call.answered_at is not None else run.now
        run.commands.append(
            CallChanged(
                call.call_id,
                call.state,
                call.queue,
                call.agent_id,
                reason,
                end - call.entered_at,
                tuple(call.tags),
            )
        )
        waiting = call.state is CallState.WAITING
        if was_waiting != waiting:
            run.touched[call.queue] = None
        if waiting and (not was_waiting or tier_changed):
            run.dirty[call.queue] = None

    def count_items(self, names: Iterable[str]) -> list[tuple[str, str, int]]:
        """What ``store.queue_counts`` takes for the queues ``names``."""
        return [(n, self.queues[n].skill, self.queues[n].min_level) for n in names]


AgentWas = tuple[AgentStatus, AgentState, str | None, bool]
"""An agent's (status, state, pause reason, ready) before a change, for ``report_agent``."""


def agent_was(agent: Agent) -> AgentWas:
    """The agent's (status, state, pause reason, ready) now."""
    return (agent.status, agent.state, agent.pause_reason, agent.ready)


def change_agent(
    agent: Agent, status: AgentStatus, state: AgentState, pause_reason: str | EllipsisType | None = ...
) -> AgentWas:
    """Set the agent's status, state and pause reason (``...`` keeps it; only PAUSED has one) in
    memory, without writing; returns what it was."""
    was = agent_was(agent)
    agent.status, agent.state = status, state
    if status is not AgentStatus.PAUSED:
        agent.pause_reason = None
    elif not isinstance(pause_reason, EllipsisType):
        agent.pause_reason = pause_reason
    return was
