"""Waiting a bounded time for a piece of work that may never end, even when cancelled.

``asyncio.wait_for`` cancels the work at its limit and then waits for it to end, for ever when the work
absorbs the cancellation (redis-py's ``PubSub.aclose`` and some reads do). :func:`finished_within` waits
with ``asyncio.wait`` instead: at the limit the work is cancelled and left, and the caller goes on. An
error the work raises after it was left is logged (debug), never reported as unretrieved.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Any, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")


def _retrieve(task: asyncio.Future[Any]) -> None:
    if not task.cancelled() and (exc := task.exception()) is not None:
        log.debug("bounded work failed: %r", exc)


async def finished_within(work: Awaitable[T], seconds: float) -> asyncio.Future[T] | None:
    """Run ``work`` for at most ``seconds``: its finished future (``result()`` gives its value or raises
    its error), or None when it did not finish (it is then cancelled and left)."""
    task = asyncio.ensure_future(work)
    task.add_done_callback(_retrieve)
    done, _ = await asyncio.wait({task}, timeout=seconds)
    if not done:
        task.cancel()
        return None
    return task
