"""The teardown watch names what a long teardown waits on: the waiting task's own line."""

from __future__ import annotations

import asyncio
import io

from tests.teardown_watch import dump_waits


async def _waits_for_ever(never: asyncio.Event) -> None:
    await never.wait()


async def test_given_a_task_waiting_when_dumped_then_its_waiting_line_and_every_thread_are_shown() -> None:
    never = asyncio.Event()
    task = asyncio.create_task(_waits_for_ever(never), name="held-step")
    await asyncio.sleep(0)
    out = io.StringIO()
    dump_waits("teardown of x past 45 s", out)
    text = out.getvalue()
    task.cancel()
    assert "===== teardown of x past 45 s: threads =====" in text
    assert "--- thread MainThread" in text
    assert "held-step" in text
    assert "in _waits_for_ever\n    await never.wait()" in text
