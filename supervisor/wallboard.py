"""Publishes the centre's live figures (``queue.figures``) for supervisors' desktops while they change.

The desktop hub sends ``queue.`` events to supervisors and admins only, never to agents. Every app node
computes the figures from the shared ACD state and publishes them to its own desktops (the hub drops
the copies relayed from other nodes).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from acd.service import AcdService
from hotline.bus import EventBus
from supervisor.figures import centre_figures

FIGURES_INTERVAL_S = 1.0


class Wallboard:
    """Recomputes the figures every ``interval_s`` and publishes them when they changed (on the event
    loop, as the ACD engine reads its store)."""

    def __init__(
        self,
        *,
        acd: AcdService,
        bus: EventBus,
        interval_s: float = FIGURES_INTERVAL_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._acd = acd
        self._bus = bus
        self._interval_s = interval_s
        self._clock = clock
        self._last: tuple[list[dict[str, Any]], list[dict[str, Any]]] | None = None

    def publish_if_changed(self) -> bool:
        """Publish the figures if they differ from the last ones published; True when published."""
        engine = self._acd.engine
        now = self._clock()
        queues, agents = centre_figures(
            engine.queues, engine.store.iter_agents(), engine.store.iter_calls(), now
        )
        if (queues, agents) == self._last:
            return False
        self._last = (queues, agents)
        self._bus.publish("queue.figures", {"queues": queues, "agents": agents, "at": now})
        return True

    async def run(self) -> None:
        """Publish until cancelled."""
        while True:
            self.publish_if_changed()
            await asyncio.sleep(self._interval_s)
