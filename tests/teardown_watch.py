"""A teardown that runs long says what it waits on.

pytest-timeout prints the threads' stacks when a test runs out of time, but a teardown held by the event
loop shows only ``select``: the waiting is in an asyncio task. When a test's teardown has run
``WATCH_S`` seconds this plugin prints, once, every thread's stack and every pending asyncio task's stack
(to stderr, which pytest shows under the test's captured teardown output).
"""

from __future__ import annotations

import asyncio
import sys
import threading
import traceback
from collections.abc import Generator, Iterable
from typing import TextIO

import pytest

WATCH_S = 45.0


def _pending_tasks() -> list[asyncio.Task[object]]:
    """Every task not yet done, of any loop (read from another thread: the set may change while read)."""
    registry: Iterable[asyncio.Task[object]] = getattr(asyncio.tasks, "_all_tasks", ())
    for _ in range(5):
        try:
            return [task for task in list(registry) if not task.done()]
        except RuntimeError:  # changed during iteration
            continue
    return []


def dump_waits(title: str, out: TextIO | None = None) -> None:
    """Print every thread's stack and every pending task's stack to ``out`` (stderr as it is now)."""
    out = out or sys.stderr
    lines = [f"===== {title}: threads ====="]
    names = {thread.ident: thread.name for thread in threading.enumerate()}
    for ident, frame in sys._current_frames().items():
        lines.append(f"--- thread {names.get(ident, '?')} ({ident})")
        lines.extend(line.rstrip() for line in traceback.format_stack(frame))
    lines.append(f"===== {title}: pending asyncio tasks =====")
    for task in _pending_tasks():
        lines.append(f"--- {task!r}")
        for frame in task.get_stack():
            lines.extend(line.rstrip() for line in traceback.format_stack(frame, limit=1))
    out.write("\n".join(lines) + "\n")
    out.flush()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Generator[None]:
    timer = threading.Timer(WATCH_S, dump_waits, args=(f"teardown of {item.nodeid} past {WATCH_S:.0f} s",))
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
