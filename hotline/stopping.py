"""Stopping background tasks that talk to Redis.

A cancellation that reaches a task inside a Redis call can be absorbed by the client library (seen
with redis-py 8: the task went on to wait for its next event, and a plain cancel-and-gather never
returned). ``stop_tasks`` therefore cancels again whatever is still running after a moment, a bounded
number of times.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

log = logging.getLogger(__name__)

ROUNDS = 10
ROUND_S = 0.5


async def stop_tasks(tasks: Iterable[asyncio.Task[None]], *, what: str) -> int:
    """Cancel ``tasks`` and wait for them to end; returns how many would not (logged as an error)."""
    pending = {task for task in tasks if not task.done()}
    for _ in range(ROUNDS):
        if not pending:
            return 0
        for task in pending:
            task.cancel()
        _, pending = await asyncio.wait(pending, timeout=ROUND_S)
    if pending:
        log.error("%s: %d task(s) would not stop", what, len(pending))
    return len(pending)
