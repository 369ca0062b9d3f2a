"""The background sender: delivers due hand-offs from the outbox until 110 acknowledges them.

Each pass sends every due row once; a failed attempt waits ``base * 2**attempts`` seconds, capped at
``max`` (so a long outage is retried at least every ``max`` seconds, for as long as it lasts, and
nothing is dropped); a refusal marks the row failed. The clock and the sleep are injected so tests
run an outage in moments. Several app nodes may run senders: a row settles once (``outbox``), and 110
applies a repeated delivery once by its idempotency key.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from linkage110 import outbox
from linkage110.client import Delivered, Outcome, Refused, send_handoff

__all__ = ["HandoffSender", "backoff_s"]

log = logging.getLogger(__name__)
Send = Callable[[dict[str, Any]], Outcome]


def backoff_s(attempts: int, *, base_s: float, max_s: float) -> float:
    """Seconds to wait after the ``attempts``-th failed attempt (1-based)."""
    return float(min(max_s, base_s * 2 ** min(max(attempts - 1, 0), 30)))


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class HandoffSender:
    """Delivers the outbox of ``sessions`` through ``send``."""

    sessions: sessionmaker[Session]
    send: Send
    backoff_base_s: float = 2.0
    backoff_max_s: float = 600.0
    poll_s: float = 1.0
    clock: Callable[[], datetime] = _utc_now
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    wake: asyncio.Event = field(default_factory=asyncio.Event)

    @classmethod
    def to_url(
        cls, sessions: sessionmaker[Session], *, url: str, secret: str, timeout_s: float, **kw: Any
    ) -> HandoffSender:
        """A sender posting to the 110 platform at ``url``."""

        def send(payload: dict[str, Any]) -> Outcome:
            return send_handoff(url, payload, secret=secret, timeout_s=timeout_s, now=time.time)

        return cls(sessions=sessions, send=send, **kw)

    async def run_once(self) -> int:
        """Send every due hand-off once; the number delivered."""
        delivered = 0
        for item in await asyncio.to_thread(outbox.due, self.sessions, now=self.clock()):
            outcome = await asyncio.to_thread(self.send, item.payload)
            now = self.clock()
            if isinstance(outcome, Delivered):
                ok = await asyncio.to_thread(
                    outbox.mark_delivered, self.sessions, item, reference=outcome.reference, now=now
                )
                delivered += int(ok)
            elif isinstance(outcome, Refused):
                log.warning("110 refused hand-off %s: %s", item.idempotency_key, outcome.error)
                await asyncio.to_thread(outbox.mark_failed, self.sessions, item, error=outcome.error, now=now)
            else:
                wait = backoff_s(item.attempts + 1, base_s=self.backoff_base_s, max_s=self.backoff_max_s)
                log.info(
                    "hand-off %s not delivered (%s); next try in %.0f s",
                    item.idempotency_key,
                    outcome.error,
                    wait,
                )
                next_at = now + timedelta(seconds=wait)
                await asyncio.to_thread(
                    outbox.mark_retry, self.sessions, item, error=outcome.error, next_attempt_at=next_at
                )
        return delivered

    def kick(self) -> None:
        """Send soon (a new hand-off was stored)."""
        self.wake.set()

    async def run(self) -> None:
        """Pass after pass until cancelled; a failing pass is logged and the loop goes on."""
        while True:
            self.wake.clear()
            try:
                await self.run_once()
            except Exception:
                log.exception("the 110 hand-off sender's pass failed")
            waiter = asyncio.ensure_future(self.wake.wait())
            sleeper = asyncio.ensure_future(self.sleep(self.poll_s))
            try:
                await asyncio.wait({waiter, sleeper}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                waiter.cancel()
                sleeper.cancel()
