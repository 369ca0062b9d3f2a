"""A centre's stop ends even when one part never finishes closing: the step is given up after its limit
and named in the log (hotline.app._within)."""

from __future__ import annotations

import asyncio

import pytest

from hotline.app import _within


class Stuck:
    """A part whose close waits for ever, and one that closes at once."""

    def __init__(self) -> None:
        self.closed = False
        self.release = asyncio.Event()

    async def close_never(self) -> None:
        await asyncio.Event().wait()

    async def close_deaf(self) -> None:
        """Waits on even when cancelled (as a library that absorbs a cancellation does), until released."""
        while not self.release.is_set():
            try:
                await self.release.wait()
            except asyncio.CancelledError:
                continue

    async def close(self) -> None:
        self.closed = True


async def test_given_a_close_that_never_ends_then_the_stop_goes_on_and_names_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    part = Stuck()
    await _within(part.close_never, 0.1)
    await _within(part.close, 0.1)
    assert part.closed
    assert "Stuck.close_never did not finish in 0 s" in caplog.text


async def test_given_a_close_deaf_to_cancellation_then_the_stop_still_goes_on_and_names_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    part = Stuck()
    stopping = asyncio.create_task(_within(part.close_deaf, 0.1))
    done, _ = await asyncio.wait({stopping}, timeout=5.0)  # asyncio.wait_for in _within would wait for ever
    part.release.set()
    await stopping
    assert done == {stopping}
    assert "Stuck.close_deaf did not finish in 0 s" in caplog.text
