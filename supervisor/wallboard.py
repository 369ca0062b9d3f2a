"""Publishes the centre's live figures (``queue.figures``) for supervisors' desktops as they change.

The desktop hub sends ``queue.`` events to supervisors and admins only, never to agents. Every app node
computes the figures from the shared ACD state and publishes them to its own desktops (the hub drops
the copies relayed from other nodes).

Change-driven: the ACD publishes ``agent.changed`` and ``call.changed`` on the bus for every agent and
call it changes (other app nodes' ones arrive relayed). The wallboard notes which agents and calls
they name, reads just those from the store, updates the queue counters one agent or call at a time
(supervisor.figures_tally) and publishes: the first change at once, later ones gathered for at most
``COALESCE_S`` so that a burst makes one frame. The queue figures alone are refreshed every
``FIGURES_INTERVAL_S`` (waits grow while nothing happens). Every ``RECONCILE_EVERY_S`` (less often
when that takes long, see supervisor.wallboard_loop) the wallboard catches up with any change no
event named: it reads the whole store (in a worker thread) and makes again the figures of the agents
and calls whose store version moved since their figures were made. A complete set due then goes out
from the figures the wallboard holds. When bus events were lost or the store lost its data,
everything is recomputed from the store at once.

Frames stay small (the protocol's 64 KiB): each carries every queue but only the agents whose figures
changed since the last publication (``left``: agents who signed out), at most ``AGENTS_PER_FRAME`` of
them; more make more frames (``part`` of ``parts``). A complete set (``complete``: every signed-in
agent, split the same way; a desktop replaces its list from part 1 on) goes out first, every
``FULL_EVERY_S``, and soon after a desktop connects (not sooner than ``FULL_AFTER_JOIN_MIN_S`` after
the last one).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

from acd.engine import AcdEngine
from acd.model import Agent, AgentStatus, Call
from acd.store import AcdStore
from hotline.bus import RELAY_GAP, BusEvent, EventBus
from supervisor.figures import agent_call_id, agent_figures
from supervisor.figures_tally import FiguresTally
from supervisor.store_versions import NO_CALL, StoreVersions, moved, read_versions
from supervisor.wallboard_loop import WallboardLoop

FIGURES_INTERVAL_S = 1.0
RECONCILE_EVERY_S = 5.0
COALESCE_S = 0.025
FULL_EVERY_S = 30.0
FULL_AFTER_JOIN_MIN_S = 5.0
AGENTS_PER_FRAME = 80
WATCHED_TOPICS = ("agent.changed", "call.changed", RELAY_GAP)
"""Bus topics naming what changed (plus ``bus.overflow``, which every subscription gets)."""


class Wallboard:
    """Keeps the figures current from the ACD's change events and publishes what changed (on the event
    loop, as the ACD engine reads its store)."""

    def __init__(
        self,
        *,
        engine: AcdEngine,
        bus: EventBus,
        interval_s: float = FIGURES_INTERVAL_S,
        reconcile_s: float = RECONCILE_EVERY_S,
        coalesce_s: float = COALESCE_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._engine = engine
        self._bus = bus
        self._interval_s = interval_s
        self._reconcile_s = reconcile_s
        self._coalesce_s = coalesce_s
        self._clock = clock
        self._tally = FiguresTally(engine.queues)
        self._queues: list[dict[str, Any]] | None = None
        self._agents: dict[str, dict[str, Any]] = {}
        self._full_at = float("-inf")
        self._full_wanted = True
        self._dirty_agents: set[str] = set()
        self._dirty_calls: set[str] = set()
        self._lost = False
        self._known = StoreVersions(agents={}, calls={})
        """The store versions the figures were made from."""
        self._generation = -1
        self._complete_next = False

    def someone_joined(self, _user_id: str, _connections: int) -> None:
        """A desktop connected or left (a hub presence listener): send a complete set soon."""
        self._full_wanted = True

    def note(self, event: BusEvent) -> None:
        """Remember the agent or call a bus event says changed (lost events: recompute everything)."""
        data = event.data
        if event.topic == "agent.changed":
            agent_id = data.get("agent_id")
            if isinstance(agent_id, str):
                self._dirty_agents.add(agent_id)
        elif event.topic == "call.changed":
            call_id, agent_id = data.get("call_id"), data.get("agent_id")
            if isinstance(call_id, str):
                self._dirty_calls.add(call_id)
            if isinstance(agent_id, str):
                self._dirty_agents.add(agent_id)
        elif event.topic in ("bus.overflow", RELAY_GAP):
            self._lost = True

    @property
    def pending(self) -> bool:
        """Whether changes were noted and not yet published."""
        return bool(self._dirty_agents or self._dirty_calls)

    def publish_changes(self) -> int:
        """Publish the figures of the agents and calls noted since the last publication, and every
        queue's; the number of frames published (0: nothing visible changed)."""
        store = self._engine.store
        agent_ids, call_ids = self._dirty_agents, self._dirty_calls
        self._dirty_agents, self._dirty_calls = set(), set()
        for call_id in call_ids:
            call = store.get_call(call_id)
            self._tally.put_call(call_id, call)
            self._call_seen(call_id, call)
        changed: list[dict[str, Any]] = []
        left: list[str] = []
        for agent_id in sorted(agent_ids):
            agent = store.get_agent(agent_id)
            self._tally.put_agent(agent_id, agent)
            shown = agent_call_id(agent) if agent is not None else None
            call = store.get_call(shown) if shown else None
            self._agent_seen(agent_id, agent, call)
            if agent is None or agent.status is AgentStatus.LOGGED_OUT:
                if self._agents.pop(agent_id, None) is not None:
                    left.append(agent_id)
                continue
            figures = agent_figures(agent, call)
            if self._agents.get(agent_id) != figures:
                self._agents[agent_id] = figures
                changed.append(figures)
        now = self._clock()
        queues = self._queue_figures(now)
        if queues == self._queues and not changed and not left:
            return 0
        self._queues = queues
        return self._send(queues, changed, left, complete=False, now=now)

    def publish_queues(self) -> int:
        """Publish every queue's figures if they changed (waits grow with time); frames published."""
        now = self._clock()
        queues = self._queue_figures(now)
        if queues == self._queues:
            return 0
        self._queues = queues
        return self._send(queues, [], [], complete=False, now=now)

    def catch_up(self) -> int:
        """Publish what no event named, reading the store here (the running wallboard reads it in a
        worker thread): the agents and calls whose store version differs from the one their figures
        were made from; everything recomputed instead when a complete set is due or the store lost
        its data. The number of frames published."""
        store = self._engine.store
        if store.data_generation() != self._generation or self._full_due(self._clock()):
            return self.publish_if_changed()
        self.note_moved(read_versions(store))
        return self.publish_changes()

    def note_moved(self, versions: StoreVersions) -> None:
        """Note the agents and calls whose versions in ``versions`` (a fresh read) differ from the ones
        their figures were made from."""
        agents, calls = moved(self._known, versions)
        self._dirty_agents |= agents
        self._dirty_calls |= calls

    def publish_complete(self) -> int:
        """Publish every signed-in agent's figures as the wallboard holds them, as a complete set."""
        now = self._clock()
        self._queues = self._queue_figures(now)
        self._full_at, self._full_wanted, self._complete_next = now, False, False
        listed = [self._agents[i] for i in sorted(self._agents)]
        return self._send(self._queues, listed, [], complete=True, now=now)

    def publish_if_changed(self) -> int:
        """Recompute everything from the whole store and publish what differs from the last
        publication (a complete set when one is due); the number of frames published."""
        store, now = self._engine.store, self._clock()
        self._dirty_agents.clear()
        self._dirty_calls.clear()
        self._lost, self._generation = False, store.data_generation()
        calls = {c.call_id: c for c in store.iter_calls()}
        everyone = list(store.iter_agents())
        self._known = StoreVersions(agents={}, calls={i: c.version for i, c in calls.items()})
        for agent in everyone:
            self._agent_seen(agent.agent_id, agent, calls.get(agent_call_id(agent) or ""))
        agents = sorted(
            (a for a in everyone if a.status is not AgentStatus.LOGGED_OUT), key=lambda a: a.agent_id
        )
        self._tally.reset(agents, calls.values())
        queues = self._queue_figures(now)
        current = {a.agent_id: agent_figures(a, calls.get(agent_call_id(a) or "")) for a in agents}
        full = self._full_due(now)
        listed = list(current.values())
        changed = listed if full else [a for a in listed if self._agents.get(a["agent_id"]) != a]
        left = sorted(set(self._agents) - set(current))
        if not full and queues == self._queues and not changed and not left:
            return 0
        if full:
            self._full_at, self._full_wanted, self._complete_next = now, False, False
        self._queues, self._agents = queues, current
        return self._send(queues, changed, left, complete=full, now=now)

    def _full_due(self, now: float) -> bool:
        return now - self._full_at >= FULL_EVERY_S or (
            self._full_wanted and now - self._full_at >= FULL_AFTER_JOIN_MIN_S
        )

    def _agent_seen(self, agent_id: str, agent: Agent | None, call: Call | None) -> None:
        if agent is None:
            self._known.agents.pop(agent_id, None)
        else:
            self._known.agents[agent_id] = (agent.version, call.version if call is not None else NO_CALL)

    def _call_seen(self, call_id: str, call: Call | None) -> None:
        if call is None:
            self._known.calls.pop(call_id, None)
        else:
            self._known.calls[call_id] = call.version

    def _queue_figures(self, now: float) -> list[dict[str, Any]]:
        stats = self._engine.stats
        return self._tally.figures(now, {name: s.aht_s() for name, s in stats.items()})

    def _send(
        self,
        queues: list[dict[str, Any]],
        agents: list[dict[str, Any]],
        left: list[str],
        *,
        complete: bool,
        now: float,
    ) -> int:
        chunks = [agents[i : i + AGENTS_PER_FRAME] for i in range(0, len(agents), AGENTS_PER_FRAME)]
        parts = chunks or [[]]
        for n, chunk in enumerate(parts, start=1):
            self._bus.publish(
                "queue.figures",
                {
                    "queues": queues,
                    "agents": chunk,
                    "left": left if n == 1 else [],
                    "complete": complete,
                    "part": n,
                    "parts": len(parts),
                    "at": now,
                },
            )
        return len(parts)

    @property
    def store(self) -> AcdStore:
        """The ACD store the figures come from."""
        return self._engine.store

    @property
    def lost(self) -> bool:
        """Whether bus events were lost since the last recomputation (recompute everything)."""
        return self._lost

    @property
    def complete_due(self) -> bool:
        """Whether a catch-up found a complete set due (send it after the pending changes)."""
        return self._complete_next

    def store_lost_data(self) -> bool:
        """Whether the store started again since the last recomputation (one read of shared state)."""
        return self._engine.store.data_generation() != self._generation

    def caught_up(self, versions: StoreVersions) -> None:
        """Take a fresh read of the store's versions: note what moved, and whether a complete set is due."""
        self.note_moved(versions)
        self._complete_next = self._full_due(self._clock())

    def full_for_join_in(self) -> float:
        """Seconds until the complete set a joining desktop asked for may go out (inf: none asked)."""
        if not self._full_wanted:
            return math.inf
        return max(0.0, self._full_at + FULL_AFTER_JOIN_MIN_S - self._clock()) + 0.01

    async def run(self) -> None:
        """Publish until cancelled (supervisor.wallboard_loop decides when)."""
        sub = self._bus.subscribe(*WATCHED_TOPICS, maxsize=100_000, foreign=True)
        try:
            await WallboardLoop(
                self,
                sub,
                interval_s=self._interval_s,
                reconcile_s=self._reconcile_s,
                coalesce_s=self._coalesce_s,
            ).run()
        finally:
            sub.close()
