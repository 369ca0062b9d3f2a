"""Where the ACD keeps agents and calls, behind one interface; MemoryStore is the in-process one.

The engine reads an object, changes it and writes it back with ``put_*``; the store derives the
object's index entries (acd.indexes) from what is written, so an index can never disagree with the
object. Writes are compare-and-set on ``version``: writing a copy read before someone else's write
(or of an object deleted since; an absent object has version 0) raises StaleState and writes
nothing. The one write that decides something, an offer, is
``claim_offer`` (or ``claim_best``, which also picks the call): it checks that the call is still
WAITING and the agent still AVAILABLE + IDLE and flips both in one atomic step; a lost race returns
a falsy :class:`Claim`.

An agent becoming ready is written and offered its call in one step, ``put_agent_and_claim`` (one
round trip on a shared store); ``last_seen_agent`` hands out the copy the store last read or wrote,
without a round trip, for a compare-and-set write that a stale copy makes fail.

MemoryStore keeps each index as a sorted list (bisect): O(log n) search plus a memmove, which for
the sizes of a contact centre (thousands) costs about a microsecond, and iterates in order. It
returns the stored objects themselves and is used from one thread, so its claim is trivially atomic.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left, insort
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, fields
from operator import attrgetter

from acd.errors import StaleState
from acd.indexes import Entry, agent_entries, best_head, call_entries, call_member, member_call_id
from acd.model import Agent, AgentState, Call, CallState

_Key = tuple[float, str]


@dataclass(frozen=True, slots=True)
class Claim:
    """The outcome of :meth:`AcdStore.claim_offer`; falsy when the race was lost (``lost`` says why)."""

    call: Call | None = None
    agent: Agent | None = None
    lost: str | None = None

    def __bool__(self) -> bool:
        return self.lost is None


class AcdStore:
    """State of the ACD: agents, live calls and the indexes matching reads (the interface)."""

    def get_agent(self, agent_id: str) -> Agent | None:
        """The agent, or None if it never logged in."""
        raise NotImplementedError

    def data_generation(self) -> int:
        """How many times the store found its shared data lost (flushed, restored, replaced) and started
        again; the in-process store never loses its data (0). May check the shared data (one read)."""
        return 0

    def last_seen_agent(self, agent_id: str) -> Agent | None:
        """The agent as this store last read or wrote it, without reading shared state (so another
        engine may have written it since), or None. Only for a compare-and-set write, which raises
        StaleState if the copy is out of date; read the agent again before trusting a refusal."""
        return self.get_agent(agent_id)

    def put_agent(self, agent: Agent) -> None:
        """Insert or replace the agent (compare-and-set on ``version``, which is then bumped)."""
        raise NotImplementedError

    def delete_agent(self, agent_id: str) -> None:
        """Forget the agent (no error if absent)."""
        raise NotImplementedError

    def iter_agents(self) -> Iterator[Agent]:
        """Every agent (for snapshots; matching never scans)."""
        raise NotImplementedError

    def get_call(self, call_id: str) -> Call | None:
        """The live call, or None if unknown or ended."""
        raise NotImplementedError

    def put_call(self, call: Call) -> None:
        """Insert or replace the call (compare-and-set on ``version``, which is then bumped)."""
        raise NotImplementedError

    def delete_call(self, call_id: str) -> None:
        """Forget the call (no error if absent)."""
        raise NotImplementedError

    def iter_calls(self) -> Iterator[Call]:
        """Every live call (for snapshots and resync)."""
        raise NotImplementedError

    def waiting_calls(self, queue: str) -> Iterator[Call]:
        """WAITING calls of ``queue`` in offer order."""
        raise NotImplementedError

    def head_call(self, queue: str) -> Call | None:
        """The first WAITING call of ``queue`` in offer order."""
        return next(self.waiting_calls(queue), None)

    def head_calls(self, buckets: Sequence[tuple[str, int]]) -> list[Call | None]:
        """For each (queue, tier), its first WAITING call in offer order (one round trip)."""
        raise NotImplementedError

    def count_waiting(self, queue: str) -> int:
        """How many calls wait in ``queue``."""
        raise NotImplementedError

    def position(self, call: Call) -> int:
        """0-based place of the WAITING ``call`` in its queue's offer order; -1 if not waiting."""
        raise NotImplementedError

    def ready_agents(self, skill: str, min_level: int = 1) -> Iterator[Agent]:
        """AVAILABLE + IDLE agents having ``skill`` at ``min_level`` or above, longest idle first."""
        raise NotImplementedError

    def count_ready(self, skill: str, min_level: int = 1) -> int:
        """How many AVAILABLE + IDLE agents have ``skill`` at ``min_level`` or above."""
        raise NotImplementedError

    def count_staffed(self, skill: str) -> int:
        """How many logged-in agents have ``skill``."""
        raise NotImplementedError

    def queue_counts(self, items: Sequence[tuple[str, str, int]]) -> list[tuple[int, int]]:
        """For each (queue, skill, min_level): (waiting calls, ready agents), in one round trip."""
        return [(self.count_waiting(q), self.count_ready(s, m)) for q, s, m in items]

    def wrapups_due(self, now: float) -> list[str]:
        """Ids of agents in WRAP_UP whose wrap-up ends at or before ``now``, earliest first."""
        raise NotImplementedError

    def calls_due(self, now: float) -> list[str]:
        """Ids of WAITING calls whose ``due_at`` is at or before ``now``, earliest first."""
        raise NotImplementedError

    def due_now(self, now: float) -> tuple[list[str], list[str]]:
        """(wrap-ups due, calls due) at ``now``, in one round trip."""
        return self.wrapups_due(now), self.calls_due(now)

    def next_due(self) -> float | None:
        """The earliest wrap-up end or call ``due_at`` still pending."""
        raise NotImplementedError

    def claim_offer(self, call_id: str, agent_id: str) -> Claim:
        """Atomically: if the call is WAITING and the agent AVAILABLE + IDLE, offer one to the other."""
        raise NotImplementedError

    def claim_best(self, agent_id: str, buckets: Sequence[tuple[str, int]]) -> Claim:
        """Atomically: offer the ready agent the best head of ``buckets`` (rule: acd.indexes.best_head).

        Falsy with ``lost`` "agent" if the agent is not AVAILABLE + IDLE, "none" if no bucket has a call.
        """
        agent = self.get_agent(agent_id)
        if agent is None or not agent.ready:
            return Claim(lost="agent")
        call = best_head(self.head_calls(buckets))
        if call is None:
            return Claim(lost="none")
        return self.claim_offer(call.call_id, agent_id)

    def put_agent_and_claim(
        self,
        agent: Agent,
        buckets: Sequence[tuple[str, int]],
        counts: Sequence[tuple[str, str, int]],
        claimed_counts: Sequence[tuple[str, str, int]] = (),
    ) -> tuple[Claim, dict[str, tuple[int, int]]]:
        """``put_agent(agent)``, then ``claim_best`` for it over ``buckets``, then (waiting, ready) by
        queue (as ``queue_counts``) for the queues of ``counts`` and, if a call was claimed, for its
        queue when it is one of ``claimed_counts``: all in one atomic step (one round trip).

        The write is compare-and-set like ``put_agent``: StaleState, and nothing written, if the agent
        changed since it was read. The claim is falsy with ``lost`` "agent" if the written agent is not
        AVAILABLE + IDLE. This default runs the steps in a row, which is atomic for a store used from
        one thread; a shared store overrides it with one atomic operation.
        """
        self.put_agent(agent)
        claim = self.claim_best(agent.agent_id, buckets)
        items = list(counts)
        if claim.call is not None:
            items += [item for item in claimed_counts if item[0] == claim.call.queue]
        return claim, dict(zip((q for q, _, _ in items), self.queue_counts(items), strict=True))


class _SortedIndex:
    """A sorted list of unique (score, member) keys."""

    __slots__ = ("keys",)

    def __init__(self) -> None:
        self.keys: list[_Key] = []

    def add(self, key: _Key) -> None:
        insort(self.keys, key)

    def remove(self, key: _Key) -> None:
        i = bisect_left(self.keys, key)
        if i < len(self.keys) and self.keys[i] == key:
            del self.keys[i]

    def rank(self, key: _Key) -> int:
        i = bisect_left(self.keys, key)
        return i if i < len(self.keys) and self.keys[i] == key else -1


class MemoryStore(AcdStore):
    """An in-process :class:`AcdStore`; returned objects are the stored ones (one thread only)."""

    def __init__(self) -> None:
        self._agents: dict[str, Agent] = {}
        self._calls: dict[str, Call] = {}
        self._ix: dict[str, _SortedIndex] = {}
        self._entries: dict[tuple[str, str], list[Entry]] = {}
        self._levels: dict[str, set[int]] = {}

    def get_agent(self, agent_id: str) -> Agent | None:
        """The agent, or None if it never logged in."""
        return self._agents.get(agent_id)

    def put_agent(self, agent: Agent) -> None:
        """Insert or replace the agent and re-derive its index entries."""
        _check_version(self._agents.get(agent.agent_id), agent, agent.agent_id)
        agent.version += 1
        self._agents[agent.agent_id] = agent
        for skill, level in agent.skills.items():
            self._levels.setdefault(skill, set()).add(level)
        self._reindex(("a", agent.agent_id), agent_entries(agent))

    def delete_agent(self, agent_id: str) -> None:
        """Forget the agent (no error if absent)."""
        self._agents.pop(agent_id, None)
        self._reindex(("a", agent_id), [])

    def iter_agents(self) -> Iterator[Agent]:
        """Every agent."""
        return iter(list(self._agents.values()))

    def get_call(self, call_id: str) -> Call | None:
        """The live call, or None."""
        return self._calls.get(call_id)

    def put_call(self, call: Call) -> None:
        """Insert or replace the call and re-derive its index entries."""
        _check_version(self._calls.get(call.call_id), call, call.call_id)
        call.version += 1
        self._calls[call.call_id] = call
        self._reindex(("c", call.call_id), call_entries(call))

    def delete_call(self, call_id: str) -> None:
        """Forget the call (no error if absent)."""
        self._calls.pop(call_id, None)
        self._reindex(("c", call_id), [])

    def iter_calls(self) -> Iterator[Call]:
        """Every live call."""
        return iter(list(self._calls.values()))

    def waiting_calls(self, queue: str) -> Iterator[Call]:
        """WAITING calls of ``queue`` in offer order."""
        keys = list(self._keys(f"waiting:{queue}"))
        return (self._calls[member_call_id(m)] for _, m in keys)

    def head_calls(self, buckets: Sequence[tuple[str, int]]) -> list[Call | None]:
        """The first WAITING call of each (queue, tier)."""
        heads: list[Call | None] = []
        for queue, tier in buckets:
            keys = self._keys(f"bucket:{queue}:{tier}")
            heads.append(self._calls[member_call_id(keys[0][1])] if keys else None)
        return heads

    def count_waiting(self, queue: str) -> int:
        """How many calls wait in ``queue``."""
        return len(self._keys(f"waiting:{queue}"))

    def position(self, call: Call) -> int:
        """0-based place of the WAITING ``call`` in its queue; -1 if not waiting."""
        if call.state is not CallState.WAITING:
            return -1
        index = self._ix.get(f"waiting:{call.queue}")
        return -1 if index is None else index.rank((0.0, call_member(call)))

    def ready_agents(self, skill: str, min_level: int = 1) -> Iterator[Agent]:
        """AVAILABLE + IDLE agents with ``skill`` at ``min_level`` or above, longest idle first (lazy)."""
        lists = [self._keys(f"ready:{skill}:{lv}") for lv in self._levels.get(skill, ()) if lv >= min_level]
        keys = lists[0] if len(lists) == 1 else heapq.merge(*lists)
        return (self._agents[member] for _, member in keys)

    def count_ready(self, skill: str, min_level: int = 1) -> int:
        """How many AVAILABLE + IDLE agents have ``skill`` at ``min_level`` or above."""
        levels = self._levels.get(skill, ())
        return sum(len(self._keys(f"ready:{skill}:{lv}")) for lv in levels if lv >= min_level)

    def count_staffed(self, skill: str) -> int:
        """How many logged-in agents have ``skill``."""
        return len(self._keys(f"staffed:{skill}"))

    def wrapups_due(self, now: float) -> list[str]:
        """Agents whose wrap-up ends at or before ``now``, earliest first."""
        return self._due("wrapup", now)

    def calls_due(self, now: float) -> list[str]:
        """WAITING calls whose next step is due at or before ``now``, earliest first."""
        return self._due("due", now)

    def next_due(self) -> float | None:
        """The earliest pending wrap-up end or call step."""
        firsts = [keys[0][0] for keys in (self._keys("wrapup"), self._keys("due")) if keys]
        return min(firsts) if firsts else None

    def claim_offer(self, call_id: str, agent_id: str) -> Claim:
        """Offer the WAITING call to the ready agent, or report which one is no longer free."""
        call = self._calls.get(call_id)
        agent = self._agents.get(agent_id)
        if call is None or call.state is not CallState.WAITING:
            return Claim(lost="call")
        if agent is None or not agent.ready:
            return Claim(lost="agent")
        call.state, call.agent_id = CallState.OFFERED, agent_id
        agent.state, agent.offered_call_id = AgentState.OFFERED, call_id
        self.put_call(call)
        self.put_agent(agent)
        return Claim(call=call, agent=agent)

    def _keys(self, index: str) -> list[_Key]:
        found = self._ix.get(index)
        return found.keys if found is not None else []

    def _due(self, index: str, now: float) -> list[str]:
        due: list[str] = []
        for at, member in self._keys(index):
            if at > now:
                break
            due.append(member)
        return due

    def _reindex(self, owner: tuple[str, str], entries: list[Entry]) -> None:
        old = self._entries.get(owner, [])
        if old == entries:
            return
        new = set(entries)
        for index, score, member in old:
            if (index, score, member) not in new:
                self._ix[index].remove((score, member))
        kept = set(old)
        for index, score, member in entries:
            if (index, score, member) not in kept:
                self._ix.setdefault(index, _SortedIndex()).add((score, member))
        if entries:
            self._entries[owner] = entries
        else:
            self._entries.pop(owner, None)


_AGENT_ATTRS = attrgetter(*(f.name for f in fields(Agent)))


def copy_agent(agent: Agent) -> Agent:
    """A copy of ``agent`` that shares nothing mutable with it (``dataclasses.replace``, faster)."""
    copied = Agent(*_AGENT_ATTRS(agent))
    copied.skills = dict(agent.skills)
    return copied


def _check_version(stored: Agent | Call | None, new: Agent | Call, key: str) -> None:
    version = 0 if stored is None else stored.version
    if stored is not new and version != new.version:
        raise StaleState(
            f"{key} changed since it was read", key=key, read_version=new.version, version=version
        )
