"""Where the ACD keeps agents and calls, with the indexes matching needs.

The engine reads an object, changes it and writes it back with ``put_*``; the store derives its
indexes from what is written, so an index can never disagree with the object. Indexes:

- per queue, WAITING calls in offer order: highest priority first, then oldest ``entered_at``, then
  arrival order (a requeued call keeps both, so it goes back to where it was);
- per skill, agents that are AVAILABLE and IDLE, longest idle first;
- agents in WRAP_UP by the time their wrap-up ends.

MemoryStore keeps each index as a sorted list (bisect): O(log n) search plus a memmove, which for
the sizes of a contact centre (thousands) costs about a microsecond, and iterates in order.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Iterator
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar

from acd.model import Agent, AgentState, Call, CallState

if TYPE_CHECKING:
    from _typeshed import SupportsRichComparison

K = TypeVar("K", bound="SupportsRichComparison")


class AcdStore(Protocol):
    """State of the ACD: agents, live calls and the indexes matching reads."""

    def get_agent(self, agent_id: str) -> Agent | None:
        """The agent, or None if it never logged in."""
        ...

    def put_agent(self, agent: Agent) -> None:
        """Insert or replace the agent."""
        ...

    def delete_agent(self, agent_id: str) -> None:
        """Forget the agent (no error if absent)."""
        ...

    def iter_agents(self) -> Iterator[Agent]:
        """Every agent (for snapshots; matching never scans)."""
        ...

    def get_call(self, call_id: str) -> Call | None:
        """The live call, or None if unknown or ended."""
        ...

    def put_call(self, call: Call) -> None:
        """Insert or replace the call."""
        ...

    def delete_call(self, call_id: str) -> None:
        """Forget the call (no error if absent)."""
        ...

    def iter_calls(self) -> Iterator[Call]:
        """Every live call (for snapshots and resync)."""
        ...

    def waiting_calls(self, queue: str) -> Iterator[Call]:
        """WAITING calls of ``queue`` in offer order."""
        ...

    def head_call(self, queue: str) -> Call | None:
        """The first WAITING call of ``queue`` in offer order."""
        ...

    def count_waiting(self, queue: str) -> int:
        """How many calls wait in ``queue``."""
        ...

    def ready_agents(self, skill: str) -> Iterator[Agent]:
        """AVAILABLE + IDLE agents having ``skill``, longest idle first."""
        ...

    def count_ready(self, skill: str) -> int:
        """How many AVAILABLE + IDLE agents have ``skill``."""
        ...

    def wrapups_due(self, now: float) -> list[str]:
        """Ids of agents in WRAP_UP whose wrap-up ends at or before ``now``, earliest first."""
        ...


class _SortedIndex(Generic[K]):
    """A sorted list of unique keys."""

    __slots__ = ("keys",)

    def __init__(self) -> None:
        self.keys: list[K] = []

    def add(self, key: K) -> None:
        insort(self.keys, key)

    def remove(self, key: K) -> None:
        i = bisect_left(self.keys, key)
        if i < len(self.keys) and self.keys[i] == key:
            del self.keys[i]


_CallKey = tuple[int, float, int, str]
_AgentKey = tuple[float, str]


class MemoryStore(AcdStore):
    """An in-process :class:`AcdStore`; returned objects are the stored ones (one thread only)."""

    def __init__(self) -> None:
        self._agents: dict[str, Agent] = {}
        self._calls: dict[str, Call] = {}
        self._arrival: dict[str, int] = {}
        self._next_arrival = 0
        self._waiting: dict[str, _SortedIndex[_CallKey]] = {}
        self._waiting_key: dict[str, tuple[str, _CallKey]] = {}
        self._ready: dict[str, _SortedIndex[_AgentKey]] = {}
        self._ready_key: dict[str, tuple[_AgentKey, tuple[str, ...]]] = {}
        self._wrapups: _SortedIndex[_AgentKey] = _SortedIndex()
        self._wrapup_key: dict[str, _AgentKey] = {}

    def get_agent(self, agent_id: str) -> Agent | None:
        """The agent, or None if it never logged in."""
        return self._agents.get(agent_id)

    def put_agent(self, agent: Agent) -> None:
        """Insert or replace the agent and re-derive its index entries."""
        self._agents[agent.agent_id] = agent
        ready = None
        if agent.ready:
            ready = ((agent.idle_since, agent.agent_id), tuple(sorted(agent.skills)))
        self._set_ready(agent.agent_id, ready)
        wrapup = None
        if agent.state is AgentState.WRAP_UP and agent.wrapup_until is not None:
            wrapup = (agent.wrapup_until, agent.agent_id)
        self._set_wrapup(agent.agent_id, wrapup)

    def delete_agent(self, agent_id: str) -> None:
        """Forget the agent (no error if absent)."""
        self._agents.pop(agent_id, None)
        self._set_ready(agent_id, None)
        self._set_wrapup(agent_id, None)

    def iter_agents(self) -> Iterator[Agent]:
        """Every agent."""
        return iter(list(self._agents.values()))

    def get_call(self, call_id: str) -> Call | None:
        """The live call, or None."""
        return self._calls.get(call_id)

    def put_call(self, call: Call) -> None:
        """Insert or replace the call and re-derive its place in its queue."""
        self._calls[call.call_id] = call
        if call.call_id not in self._arrival:
            self._arrival[call.call_id] = self._next_arrival
            self._next_arrival += 1
        entry = None
        if call.state is CallState.WAITING:
            key = (-call.priority, call.entered_at, self._arrival[call.call_id], call.call_id)
            entry = (call.queue, key)
        self._set_waiting(call.call_id, entry)

    def delete_call(self, call_id: str) -> None:
        """Forget the call (no error if absent)."""
        self._calls.pop(call_id, None)
        self._arrival.pop(call_id, None)
        self._set_waiting(call_id, None)

    def iter_calls(self) -> Iterator[Call]:
        """Every live call."""
        return iter(list(self._calls.values()))

    def waiting_calls(self, queue: str) -> Iterator[Call]:
        """WAITING calls of ``queue`` in offer order."""
        index = self._waiting.get(queue)
        keys = list(index.keys) if index is not None else []
        return (self._calls[key[3]] for key in keys)

    def head_call(self, queue: str) -> Call | None:
        """The first WAITING call of ``queue``."""
        index = self._waiting.get(queue)
        if index is None or not index.keys:
            return None
        return self._calls[index.keys[0][3]]

    def count_waiting(self, queue: str) -> int:
        """How many calls wait in ``queue``."""
        index = self._waiting.get(queue)
        return 0 if index is None else len(index.keys)

    def ready_agents(self, skill: str) -> Iterator[Agent]:
        """AVAILABLE + IDLE agents with ``skill``, longest idle first (a lazy view)."""
        index = self._ready.get(skill)
        keys = index.keys if index is not None else []
        return (self._agents[key[1]] for key in keys)

    def count_ready(self, skill: str) -> int:
        """How many AVAILABLE + IDLE agents have ``skill``."""
        index = self._ready.get(skill)
        return 0 if index is None else len(index.keys)

    def wrapups_due(self, now: float) -> list[str]:
        """Agents whose wrap-up ends at or before ``now``, earliest first."""
        due: list[str] = []
        for until, agent_id in self._wrapups.keys:
            if until > now:
                break
            due.append(agent_id)
        return due

    def _set_waiting(self, call_id: str, entry: tuple[str, _CallKey] | None) -> None:
        old = self._waiting_key.get(call_id)
        if old == entry:
            return
        if old is not None:
            self._waiting[old[0]].remove(old[1])
            del self._waiting_key[call_id]
        if entry is not None:
            self._waiting.setdefault(entry[0], _SortedIndex()).add(entry[1])
            self._waiting_key[call_id] = entry

    def _set_ready(self, agent_id: str, entry: tuple[_AgentKey, tuple[str, ...]] | None) -> None:
        old = self._ready_key.get(agent_id)
        if old == entry:
            return
        if old is not None:
            for skill in old[1]:
                self._ready[skill].remove(old[0])
            del self._ready_key[agent_id]
        if entry is not None:
            for skill in entry[1]:
                self._ready.setdefault(skill, _SortedIndex()).add(entry[0])
            self._ready_key[agent_id] = entry

    def _set_wrapup(self, agent_id: str, key: _AgentKey | None) -> None:
        old = self._wrapup_key.get(agent_id)
        if old == key:
            return
        if old is not None:
            self._wrapups.remove(old)
            del self._wrapup_key[agent_id]
        if key is not None:
            self._wrapups.add(key)
            self._wrapup_key[agent_id] = key
