"""Waiting for the first item of a growing list that matches, woken by an event instead of polling."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")


async def first_match(
    items: Sequence[T], changed: asyncio.Event, match: Callable[[T], bool], timeout: float
) -> T | None:
    """The first item of ``items`` matching ``match``, waiting for new ones; None after ``timeout``."""
    deadline = time.monotonic() + timeout
    seen = 0
    while True:
        for item in items[seen:]:
            if match(item):
                return item
        seen = len(items)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        changed.clear()
        try:
            await asyncio.wait_for(changed.wait(), remaining)
        except TimeoutError:
            continue
