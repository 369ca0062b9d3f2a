"""When the wallboard publishes: one loop over the ACD's change events and the wallboard's timers.

Changes are published as soon as they are noted, the next ones at most every ``coalesce_s`` (a burst
makes one frame); the queue figures alone every ``interval_s``; a catch-up every ``reconcile_s``, whose
store read runs in a worker thread so that changes keep flowing meanwhile (its end wakes the loop
through the wallboard's own subscription). A catch-up that took long is followed by the next one
later: at least ``CATCH_UP_SPACING`` times its duration, so catching up takes at most about 1 % of the
time. A complete set due goes out after a catch-up, from the figures the wallboard holds. Lost bus
events, or a store that lost its data, bring a recomputation of everything at once.
"""

from __future__ import annotations

import asyncio
import logging
import math
from typing import TYPE_CHECKING

from hotline.bus import BusEvent, Subscription
from supervisor.store_versions import StoreVersions, read_versions

if TYPE_CHECKING:
    from supervisor.wallboard import Wallboard

log = logging.getLogger(__name__)

CATCH_UP_SPACING = 100.0
CAUGHT_UP = "wallboard.caught_up"
"""What the wallboard's own subscription gets when a store read in a worker thread ends."""
RETRY_AFTER_S = 1.0


class WallboardLoop:
    """Decides, one step at a time, what the wallboard publishes next."""

    def __init__(
        self, board: Wallboard, sub: Subscription, *, interval_s: float, reconcile_s: float, coalesce_s: float
    ) -> None:
        self._board = board
        self._sub = sub
        self._interval_s = interval_s
        self._reconcile_s = reconcile_s
        self._coalesce_s = coalesce_s
        self._reading: asyncio.Task[StoreVersions] | None = None
        self._started = 0.0
        self._sent_at = -math.inf
        self._reconcile_at = self._tick_at = 0.0

    async def run(self) -> None:
        """Publish until cancelled."""
        loop = asyncio.get_running_loop()
        self._board.publish_if_changed()
        self._reconcile_at = loop.time() + self._reconcile_s
        self._tick_at = loop.time() + self._interval_s
        try:
            while True:
                now = loop.time()
                due = self._due(now)
                if due > now and await self._noted(due - now):
                    continue
                try:
                    self._step(loop.time())
                except Exception:  # a store outage must not end the live figures for good
                    log.exception("wallboard: publishing failed; everything is recomputed next")
                    self._board.note(BusEvent("bus.overflow", {}))
                    await asyncio.sleep(RETRY_AFTER_S)
        finally:
            if self._reading is not None:
                self._reading.cancel()

    def _due(self, now: float) -> float:
        """When the next step is due (taking in a finished store read first)."""
        board, reading = self._board, self._reading
        if reading is not None and reading.done():
            self._reading = None
            self._reconcile_at = now + max(self._reconcile_s, (now - self._started) * CATCH_UP_SPACING)
            if reading.cancelled() or reading.exception() is not None:
                log.warning("wallboard: reading the ACD store failed: %r", reading)
            else:
                board.caught_up(reading.result())
        if self._reading is None:
            self._reconcile_at = min(self._reconcile_at, now + board.full_for_join_in())
        if board.pending:
            return max(now, self._sent_at + self._coalesce_s)
        if board.complete_due or board.lost:
            return now
        return min(self._tick_at, self._reconcile_at if self._reading is None else math.inf)

    def _step(self, now: float) -> None:
        board = self._board
        if board.lost:
            board.publish_if_changed()
        elif board.pending:
            board.publish_changes()
            self._sent_at = now
        elif board.complete_due:
            board.publish_complete()
        elif self._reading is None and now >= self._reconcile_at:
            self._reconcile_at = now + self._reconcile_s
            self._start_reading(now)
        elif now >= self._tick_at:
            board.publish_queues()
            self._tick_at = now + self._interval_s

    def _start_reading(self, now: float) -> None:
        """Read every version in a worker thread; when the store lost its data, recompute now."""
        if self._board.store_lost_data():
            self._board.publish_if_changed()
            return
        self._reading = asyncio.ensure_future(asyncio.to_thread(read_versions, self._board.store))
        self._reading.add_done_callback(lambda _: self._sub.offer(BusEvent(CAUGHT_UP, {})))
        self._started = now

    async def _noted(self, timeout: float) -> bool:
        """Wait up to ``timeout`` for events and note every one queued; False when none came."""
        try:
            self._board.note(await asyncio.wait_for(self._sub.get(), timeout))
        except TimeoutError:
            return False
        while self._sub.pending:
            self._board.note(await self._sub.get())
        return True
