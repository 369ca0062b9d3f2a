"""In-process event bus: the one way state changes reach desktops, wallboards and recorders.

Publishers never wait for subscribers. Each subscriber has a bounded queue; a subscriber that falls
behind loses its oldest events and is told so by a ``bus.overflow`` event, instead of slowing the
publisher (an ACD decision must never wait for a slow browser).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class BusEvent:
    """One published fact: ``topic`` like ``agent.changed``; ``data`` JSON-able."""

    topic: str
    data: Mapping[str, Any]
    at: float = field(default_factory=time.time)


class Subscription:
    """A subscriber's view of the bus; iterate it or call :meth:`get`."""

    def __init__(self, bus: EventBus, prefixes: tuple[str, ...], maxsize: int) -> None:
        self._bus = bus
        self._prefixes = prefixes
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

    async def get(self) -> BusEvent:
        """Wait for the next event."""
        return await self._queue.get()

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

    def subscribe(self, *prefixes: str, maxsize: int = 1000) -> Subscription:
        """Subscribe to topics starting with any of ``prefixes`` (all topics when none)."""
        sub = Subscription(self, prefixes, maxsize)
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

    @property
    def subscriber_count(self) -> int:
        """Number of live subscriptions."""
        return len(self._subscriptions)
