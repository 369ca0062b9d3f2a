"""AMI events that arrive while the ACD's shared store (Redis) cannot be reached are kept, in order, and
applied once it answers again; meanwhile the service stops its heartbeat, so the dialplan's hold loop sends
waiting callers to the static fallback queue (a person answers them there) instead of music for nobody.

Rules: once one event waits, every later event waits behind it (the order of a channel's events matters:
queued before hung up); the backlog is retried every ``retry_s``; a backlog that outgrows ``limit`` drops
its oldest events, logged (the store has been away so long that callers have long been in the fallback
queue, whose records the reconciler completes from Asterisk's own log).
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable

import redis

from hotline.ami.messages import AmiEvent

log = logging.getLogger(__name__)

STORE_UNAVAILABLE: tuple[type[Exception], ...] = (redis.ConnectionError, redis.TimeoutError)
"""What a store raises when it cannot be reached (the in-memory store never does)."""

Handler = Callable[[AmiEvent], None]


class StoreOutage:
    """Holds back AMI events while the store is unreachable; ``healthy`` says whether it is reachable."""

    def __init__(self, *, retry_s: float = 1.0, limit: int = 50_000) -> None:
        self._retry_s = retry_s
        self._limit = limit
        self._backlog: deque[tuple[Handler, AmiEvent]] = deque()
        self._retrying: asyncio.Task[None] | None = None
        self.dropped = 0

    @property
    def healthy(self) -> bool:
        """False while events wait for the store."""
        return not self._backlog

    def guard(self, handler: Handler) -> Handler:
        """``handler``, applied now or, while the store is away, later and in order."""

        def guarded(event: AmiEvent) -> None:
            if self._backlog:
                self._keep(handler, event)
                return
            try:
                handler(event)
            except STORE_UNAVAILABLE as exc:
                log.error("ACD store unreachable (%s): AMI events wait for it; heartbeat stopped", exc)
                self._keep(handler, event)

        return guarded

    def _keep(self, handler: Handler, event: AmiEvent) -> None:
        if len(self._backlog) >= self._limit:
            self._backlog.popleft()
            self.dropped += 1
            log.error("ACD store away too long: oldest waiting AMI event dropped (%d so far)", self.dropped)
        self._backlog.append((handler, event))
        if self._retrying is None or self._retrying.done():
            self._retrying = asyncio.get_running_loop().create_task(self._retry())

    async def _retry(self) -> None:
        while self._backlog:
            await asyncio.sleep(self._retry_s)
            self.drain()
        log.warning("ACD store reachable again: waiting AMI events applied; heartbeat resumes")

    def drain(self) -> None:
        """Apply waiting events in order until one finds the store away again."""
        while self._backlog:
            handler, event = self._backlog[0]
            try:
                handler(event)
            except STORE_UNAVAILABLE:
                return
            except Exception:
                log.exception("a waiting AMI event failed when applied; skipped: %s", event.name)
            self._backlog.popleft()

    async def close(self) -> None:
        """Stop retrying."""
        if self._retrying is not None:
            self._retrying.cancel()
            await asyncio.gather(self._retrying, return_exceptions=True)
