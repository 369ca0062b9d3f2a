"""Listening on a Redis pub/sub channel in a task that stops when it is cancelled, and closing Redis
connections within a bound.

redis-py 8 on Python 3.11 can absorb a cancellation that reaches a task inside
``PubSub.get_message(timeout=...)``: the read's own ``asyncio.timeout`` turns the CancelledError into
the timeout it expected, ``get_message`` returns None as for an idle channel, and the loop around it
polls on for ever with ``task.cancelling()`` left at 1 (measured: 2 of 400 cancellations of a task
polling every 30 ms were lost). :func:`next_message` therefore re-raises a cancellation the library
swallowed. ``PubSub.aclose`` waits for its teardown even when cancelled, and ``asyncio.wait_for``
waits for the cancelled close to finish, so neither bounds a close; :func:`close_within` does
(hotline.bounded_wait).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Any

from redis.asyncio.client import PubSub

from hotline.bounded_wait import finished_within

log = logging.getLogger(__name__)

CLOSE_S = 2.0
"""The longest a Redis connection is waited for when closing: a centre's stop must not hang on it."""


async def next_message(pubsub: PubSub, *, timeout_s: float) -> dict[str, Any] | None:
    """The next message on ``pubsub`` within ``timeout_s`` (None when the channel was quiet), raising
    CancelledError when the task was cancelled during the read, even if the library absorbed it."""
    message: dict[str, Any] | None = await pubsub.get_message(
        ignore_subscribe_messages=True, timeout=timeout_s
    )
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError
    return message


async def close_within(closing: Awaitable[None], *, what: str, seconds: float = CLOSE_S) -> bool:
    """Run ``closing`` (a Redis ``aclose()``) for at most ``seconds``; True when it finished. One that
    does not is cancelled and left (logged); its errors are not raised (the connection is gone)."""
    if await finished_within(closing, seconds) is None:
        log.warning("%s: Redis connection not closed in %.0f s; left", what, seconds)
        return False
    return True
