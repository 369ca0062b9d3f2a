"""The store version of every agent and live call, read at once, to find changes no event named.

Every write of an agent or a call raises its version in the ACD store. The wallboard remembers the
versions its figures were made from; comparing them with a fresh read names exactly what moved.
Reading a large shared store is slow (2,000 agents from Redis take tens of milliseconds), so the
wallboard does it in a worker thread: ``read_versions`` only reads (the Redis store's client is
thread-safe; the in-memory store's lists are copied in one step) and keeps numbers, no objects.
"""

from __future__ import annotations

from dataclasses import dataclass

from acd.store import AcdStore
from supervisor.figures import agent_call_id

NO_CALL = -1
"""The call version of an agent who shows no call."""


@dataclass(frozen=True, slots=True)
class StoreVersions:
    """Agent id -> (its version, the version of the call it shows or ``NO_CALL``); call id -> version."""

    agents: dict[str, tuple[int, int]]
    calls: dict[str, int]


def read_versions(store: AcdStore) -> StoreVersions:
    """Every agent's and live call's version as the store holds them now."""
    calls = {c.call_id: c.version for c in store.iter_calls()}
    agents = {
        a.agent_id: (a.version, calls.get(agent_call_id(a) or "", NO_CALL)) for a in store.iter_agents()
    }
    return StoreVersions(agents=agents, calls=calls)


def moved(known: StoreVersions, now: StoreVersions) -> tuple[set[str], set[str]]:
    """(agent ids, call ids) whose versions differ between ``known`` and ``now``, gone ones included."""
    agents = {i for i, v in now.agents.items() if known.agents.get(i) != v}
    calls = {i for i, v in now.calls.items() if known.calls.get(i) != v}
    return agents | (known.agents.keys() - now.agents.keys()), calls | (known.calls.keys() - now.calls.keys())
