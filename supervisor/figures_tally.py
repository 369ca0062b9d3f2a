"""Every queue's live figures kept up to date one agent or call at a time (no I/O).

The wallboard tells the tally each agent and call it knows changed (``put_agent`` / ``put_call``, with
the object as the store holds it now, or None when gone); the tally takes back what that agent or
call counted before and counts what it counts now, so a change costs the number of queues, never
the number of agents. It keeps only numbers and ids, never the store's objects. ``reset`` rebuilds
everything from the whole state (the wallboard's periodic reconciliation); the figures then equal
:func:`supervisor.figures.centre_figures`'s, which the unit tests check after random changes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from acd.model import Agent, AgentState, AgentStatus, Call, CallState, QueueConfig
from supervisor.figures import DEFAULT_HANDLE_S, estimated_wait

_Mark = tuple[tuple[str, ...], bool, str | None, AgentState | None]
"""What one signed-in agent counts: (queues served, ready, pause reason if paused, state if not)."""


@dataclass(slots=True)
class _QueueCounts:
    agents: int = 0
    ready: int = 0
    doing: Counter[AgentState] = field(default_factory=Counter)
    paused: Counter[str] = field(default_factory=Counter)
    waiting: dict[str, float] = field(default_factory=dict)
    """Waiting call id -> when it entered the queue."""

    def count(self, mark: _Mark, sign: int) -> None:
        """Add (``sign`` > 0) or take back (< 0) ``abs(sign)`` agents counting ``mark``."""
        _, ready, reason, state = mark
        self.agents += sign
        self.ready += sign if ready else 0
        if reason is not None:
            self.paused[reason] += sign
            if not self.paused[reason]:
                del self.paused[reason]
        elif state is not None:
            self.doing[state] += sign


class FiguresTally:
    """Per-queue counters over the signed-in agents and the waiting calls."""

    def __init__(self, queues: Mapping[str, QueueConfig]) -> None:
        self._queues = dict(queues)
        self._counts = {name: _QueueCounts() for name in self._queues}
        self._marks: dict[str, _Mark] = {}
        self._waiting_in: dict[str, str] = {}
        self._serving: dict[tuple[tuple[str, int], ...], tuple[str, ...]] = {}
        """Queues served per agent skills, as listed (agents share a few sets)."""

    def reset(self, agents: Iterable[Agent], calls: Iterable[Call]) -> None:
        """Forget everything and count ``agents`` and ``calls`` (the whole state)."""
        self._counts = {name: _QueueCounts() for name in self._queues}
        self._marks = {a.agent_id: m for a in agents if (m := self._mark(a)) is not None}
        for mark, times in Counter(self._marks.values()).items():
            for name in mark[0]:
                self._counts[name].count(mark, times)
        self._waiting_in.clear()
        for call in calls:
            self.put_call(call.call_id, call)

    @property
    def signed_in(self) -> int:
        """How many signed-in agents are counted."""
        return len(self._marks)

    def put_agent(self, agent_id: str, agent: Agent | None) -> tuple[str, ...]:
        """Count ``agent_id`` as ``agent`` (None: gone); the queues whose counters changed."""
        before = self._marks.pop(agent_id, None)
        after = self._mark(agent) if agent is not None else None
        if before == after:
            if after is not None:
                self._marks[agent_id] = after
            return ()
        if before is not None:
            for name in before[0]:
                self._counts[name].count(before, -1)
        if after is not None:
            self._marks[agent_id] = after
            for name in after[0]:
                self._counts[name].count(after, +1)
        return tuple(sorted({*(before[0] if before else ()), *(after[0] if after else ())}))

    def put_call(self, call_id: str, call: Call | None) -> tuple[str, ...]:
        """Count ``call_id`` as ``call`` (None: ended); the queues whose waiting calls changed."""
        was = self._waiting_in.pop(call_id, None)
        if was is not None:
            del self._counts[was].waiting[call_id]
        now_in = None
        if call is not None and call.state is CallState.WAITING and call.queue in self._counts:
            now_in = call.queue
            self._waiting_in[call_id] = now_in
            self._counts[now_in].waiting[call_id] = call.entered_at
        return tuple(sorted({q for q in (was, now_in) if q is not None}))

    def figures(self, now: float, aht_s: Mapping[str, float] | None = None) -> list[dict[str, Any]]:
        """Every queue's figures at ``now``, sorted by name, as
        :func:`supervisor.figures.queue_figures` gives them."""
        handle = aht_s or {}
        return [self._figures(name, now, handle.get(name, DEFAULT_HANDLE_S)) for name in sorted(self._queues)]

    def _figures(self, name: str, now: float, aht_s: float) -> dict[str, Any]:
        counts = self._counts[name]
        entered = min(counts.waiting.values(), default=None)
        waiting = len(counts.waiting)
        return {
            "queue": name,
            "waiting": waiting,
            "longest_wait_s": round(now - entered, 1) if entered is not None else 0.0,
            "estimated_wait_s": estimated_wait(
                waiting=waiting, ready=counts.ready, staffed=counts.agents, aht_s=aht_s
            ),
            "agents": counts.agents,
            "ready": counts.ready,
            "offered": counts.doing[AgentState.OFFERED],
            "on_call": counts.doing[AgentState.ON_CALL],
            "wrap_up": counts.doing[AgentState.WRAP_UP],
            "paused": dict(sorted(counts.paused.items())),
        }

    def _mark(self, agent: Agent) -> _Mark | None:
        if agent.status is AgentStatus.LOGGED_OUT:
            return None
        skills = tuple(agent.skills.items())
        serves = self._serving.get(skills)
        if serves is None:
            serves = tuple(
                name for name, q in self._queues.items() if agent.skills.get(q.skill, 0) >= q.min_level
            )
            self._serving[skills] = serves
        if agent.status is AgentStatus.PAUSED:
            return serves, agent.ready, agent.pause_reason or "", None
        return serves, agent.ready, None, agent.state
