"""Blocking work of a background loop, run in a worker thread and let finish when the loop is stopped.

``asyncio.to_thread`` hands the work to a thread; cancelling the awaiting task does not stop the thread.
A loop cancelled at a centre's stop would return while its thread still reads or writes the database,
and the engine disposed behind it leaves that thread's connection to be collected unclosed (psycopg
reports it as an unraisable error). ``finished_in_thread`` waits for the thread's work to end (up to
``grace_s``) before the cancellation goes on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TypeVar

log = logging.getLogger(__name__)

GRACE_S = 10.0
T = TypeVar("T")


async def finished_in_thread(work: Callable[[], T], *, grace_s: float = GRACE_S) -> T:
    """``work()`` in a worker thread; when the caller is cancelled, the cancellation is passed on only
    after ``work`` has returned (or ``grace_s`` has passed, which is logged)."""
    future = asyncio.ensure_future(asyncio.to_thread(work))
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        done, _ = await asyncio.wait({future}, timeout=grace_s)
        if not done:
            log.error("%s still running %.0f s after its loop was stopped", _name(work), grace_s)
        elif not future.cancelled() and future.exception() is not None:
            log.warning("%s failed while its loop was stopping: %r", _name(work), future.exception())
        raise


def _name(work: Callable[[], object]) -> str:
    return str(getattr(work, "__qualname__", None) or getattr(work, "__name__", None) or repr(work))
