"""In-process event bus: the one way state changes reach desktops, wallboards and recorders.

Publishers never wait for subscribers. Each subscriber has a bounded queue; a subscriber that falls
behind loses its oldest events and is told so by a ``bus.overflow`` event, instead of slowing the
publisher (an ACD decision must never wait for a slow browser).

Events carry their ``origin``: empty for events published in this process, the node id of another app
node for events relayed from it (hotline.bus_relay). Only subscriptions opened with ``foreign=True``
(the desktops) receive relayed events; every other subscriber (the recorder, message intake) sees only
what this node did, so work done once per event is never done again on every node.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

RELAY_GAP = "bus.relay_gap"
"""Topic delivered when events relayed from other nodes may have been lost (desktops resynchronise)."""


@dataclass(frozen=True, slots=True)
class BusEvent:
    """One published fact: ``topic`` like ``agent.changed``; ``data`` JSON-able; ``origin`` the node
    that published it when it came from another app node (empty when published here)."""

    topic: str
    data: Mapping[str, Any]
    at: float = field(default_factory=time.time)
    origin: str = ""


class Subscription:
    """A subscriber's view of the bus; iterate it or call :meth:`get`."""

    def __init__(
        self, bus: EventBus, prefixes: tuple[str, ...], maxsize: int, *, foreign: bool = False
    ) -> None:
        self._bus = bus
        self._prefixes = prefixes
        self.foreign = foreign
        self._queue: asyncio.Queue[BusEvent] = asyncio.Queue(maxsize=maxsize)
        self.dropped = 0

    def wants(self, topic: str) -> bool:
        """True when this subscription listens to ``topic``."""
        return not self._prefixes or topic.startswith(self._prefixes)

    def offer(self, event: BusEvent) -> None:
        """Queue ``event`` without blocking; drop the oldest one when full."""
        if self._queue.full():
            self._queue.get_nowait()
            self.dropped += 1
            overflow = BusEvent("bus.overflow", {"dropped": self.dropped})
            if not self._queue.full():
                self._queue.put_nowait(overflow)
            if self._queue.full():
                self._queue.get_nowait()
        self._queue.put_nowait(event)

    @property
    def pending(self) -> int:
        """Events queued and not yet taken."""
        return self._queue.qsize()

    async def get(self) -> BusEvent:
        """Wait for the next event."""
        return await self._queue.get()

    def ready(self, limit: int) -> list[BusEvent]:
        """The events queued now, oldest first, at most ``limit``, without waiting."""
        taken: list[BusEvent] = []
        while len(taken) < limit and not self._queue.empty():
            taken.append(self._queue.get_nowait())
        return taken

    def close(self) -> None:
        """Stop receiving events."""
        self._bus.unsubscribe(self)

    async def __aiter__(self) -> AsyncIterator[BusEvent]:
        while True:
            yield await self._queue.get()


class EventBus:
    """Fan-out of :class:`BusEvent` to subscribers filtered by topic prefix."""

    def __init__(self) -> None:
        self._subscriptions: set[Subscription] = set()

    def subscribe(self, *prefixes: str, maxsize: int = 1000, foreign: bool = False) -> Subscription:
        """Subscribe to topics starting with any of ``prefixes`` (all topics when none); with
        ``foreign`` also to the events other app nodes published (see :meth:`deliver_foreign`)."""
        sub = Subscription(self, prefixes, maxsize, foreign=foreign)
        self._subscriptions.add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        """Remove ``sub``; unknown subscriptions are ignored."""
        self._subscriptions.discard(sub)

    def publish(self, topic: str, data: Mapping[str, Any]) -> BusEvent:
        """Deliver an event to every interested subscriber, never blocking."""
        event = BusEvent(topic, data)
        for sub in tuple(self._subscriptions):
            if sub.wants(topic):
                sub.offer(event)
        return event

    def deliver_foreign(self, event: BusEvent) -> None:
        """Hand an event relayed from another node (``origin`` set) to the ``foreign`` subscribers only."""
        if not event.origin:
            raise ValueError(f"a relayed {event.topic} event must name the node it came from")
        for sub in tuple(self._subscriptions):
            if sub.foreign and sub.wants(event.topic):
                sub.offer(event)

    @property
    def subscriber_count(self) -> int:
        """Number of live subscriptions."""
        return len(self._subscriptions)
