"""The ACD service's clock: the engine's timers, the regular Tick, the heartbeat the dialplan's hold loop
reads, and putting back this node's part of a shared store that lost its data (a base of
``acd.service.AcdService``, as ``acd.legs.LegKeeper`` is for the agent legs)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from acd import actions
from acd.engine import AcdEngine
from acd.events import Tick
from acd.legs import LegKeeper
from acd.node_memory import NodeMemory
from acd.store_outage import STORE_UNAVAILABLE, StoreOutage
from hotline.ami.client import AmiError
from hotline.ami.link import AmiLink
from hotline.bus import EventBus

log = logging.getLogger(__name__)


class ServiceClock(LegKeeper):
    """Timers and regular work of one ACD service (see the module docstring)."""

    def __init__(
        self,
        *,
        engine: AcdEngine,
        ami: AmiLink,
        bus: EventBus,
        ring_timeout_s: float,
        clock: Callable[[], float],
    ) -> None:
        super().__init__(engine=engine, ami=ami, bus=bus, ring_timeout_s=ring_timeout_s, clock=clock)
        self.outage = StoreOutage()
        self.memory = NodeMemory()
        self._store_generation = 0
        self._ticks: dict[float, asyncio.TimerHandle] = {}

    def _schedule_tick(self, at: float) -> None:
        if at in self._ticks:
            return
        loop = asyncio.get_running_loop()
        delay = max(0.0, at - self._clock())
        self._ticks[at] = loop.call_later(delay, self._on_tick, at)

    def _on_tick(self, at: float) -> None:
        self._ticks.pop(at, None)
        self._tick_now()

    async def heartbeat_forever(self, interval_s: float = 2.0) -> None:
        """Keep the dialplan's hold loop convinced the service is alive."""
        while True:
            try:
                if self.outage.healthy:
                    await actions.put_heartbeat(self._ami, epoch=int(self._clock()))
            except AmiError as exc:
                log.warning("heartbeat not delivered: %s", exc)
            await asyncio.sleep(interval_s)

    async def tick_forever(self, interval_s: float = 2.0) -> None:
        """A regular Tick: timers set by other nodes and pairs missed in a race are caught within it."""
        while True:
            await asyncio.sleep(interval_s)
            self._tick_now()

    def _tick_now(self) -> None:
        try:
            self._rebuild_if_lost()
            self.submit_quietly(Tick())
        except STORE_UNAVAILABLE as exc:
            log.warning("tick skipped, ACD store unreachable: %s", exc)

    def _rebuild_if_lost(self) -> None:
        """After the shared store lost its data, sign this node's agents in again and queue its waiting
        callers again (acd.node_memory)."""
        generation = self.engine.store.data_generation()
        if generation == self._store_generation:
            return
        self._store_generation = generation
        events = self.memory.replay(self.engine.store)
        log.error(
            "ACD store lost its data; putting back %d sign-ins, statuses and waiting calls", len(events)
        )
        for event in events:
            self.submit_quietly(event)
