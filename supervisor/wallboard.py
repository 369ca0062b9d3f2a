"""Publishes the centre's live figures (``queue.figures``) for supervisors' desktops while they change.

The desktop hub sends ``queue.`` events to supervisors and admins only, never to agents. Every app node
computes the figures from the shared ACD state and publishes them to its own desktops (the hub drops
the copies relayed from other nodes).

Frames stay small (the protocol's 64 KiB): each carries every queue but only the agents whose figures
changed since the last publication (``left``: agents who signed out), at most ``AGENTS_PER_FRAME`` of
them; more make more frames (``part`` of ``parts``). A complete set (``complete``: every signed-in
agent, split the same way; a desktop replaces its list from part 1 on) goes out first, every
``FULL_EVERY_S``, and soon after a desktop connects.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from acd.engine import AcdEngine
from hotline.bus import EventBus
from supervisor.figures import centre_figures

FIGURES_INTERVAL_S = 1.0
FULL_EVERY_S = 30.0
FULL_AFTER_JOIN_MIN_S = 5.0
AGENTS_PER_FRAME = 80


class Wallboard:
    """Recomputes the figures every ``interval_s`` and publishes what changed (on the event loop, as the
    ACD engine reads its store)."""

    def __init__(
        self,
        *,
        engine: AcdEngine,
        bus: EventBus,
        interval_s: float = FIGURES_INTERVAL_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._engine = engine
        self._bus = bus
        self._interval_s = interval_s
        self._clock = clock
        self._queues: list[dict[str, Any]] | None = None
        self._agents: dict[str, dict[str, Any]] = {}
        self._full_at = float("-inf")
        self._full_wanted = True

    def someone_joined(self, _user_id: str, _connections: int) -> None:
        """A desktop connected or left (a hub presence listener): send a complete set soon."""
        self._full_wanted = True

    def publish_if_changed(self) -> int:
        """Publish what changed since the last publication; the number of frames published."""
        engine = self._engine
        now = self._clock()
        queues, agents = centre_figures(
            engine.queues, engine.store.iter_agents(), engine.store.iter_calls(), now
        )
        current = {a["agent_id"]: a for a in agents}
        full = now - self._full_at >= FULL_EVERY_S or (
            self._full_wanted and now - self._full_at >= FULL_AFTER_JOIN_MIN_S
        )
        changed = agents if full else [a for a in agents if self._agents.get(a["agent_id"]) != a]
        left = sorted(set(self._agents) - set(current))
        if not full and queues == self._queues and not changed and not left:
            return 0
        if full:
            self._full_at, self._full_wanted = now, False
        self._queues, self._agents = queues, current
        chunks = [changed[i : i + AGENTS_PER_FRAME] for i in range(0, len(changed), AGENTS_PER_FRAME)]
        parts = chunks or [[]]
        for n, chunk in enumerate(parts, start=1):
            self._bus.publish(
                "queue.figures",
                {
                    "queues": queues,
                    "agents": chunk,
                    "left": left if n == 1 else [],
                    "complete": full,
                    "part": n,
                    "parts": len(parts),
                    "at": now,
                },
            )
        return len(parts)

    async def run(self) -> None:
        """Publish until cancelled."""
        while True:
            self.publish_if_changed()
            await asyncio.sleep(self._interval_s)
