"""A background loop's blocking work is let finish before the loop's cancellation goes on."""

from __future__ import annotations

import asyncio
import logging
import threading
import time

import pytest

from hotline.thread_work import finished_in_thread


async def test_given_work_running_when_its_loop_is_cancelled_then_cancel_returns_after_the_work() -> None:
    started, finished = threading.Event(), threading.Event()

    def work() -> int:
        started.set()
        time.sleep(0.3)
        finished.set()
        return 1

    task = asyncio.create_task(finished_in_thread(work))
    await asyncio.to_thread(started.wait, 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert finished.is_set()


async def test_given_work_that_outlasts_the_grace_when_cancelled_then_it_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    release = threading.Event()

    def stuck() -> None:
        release.wait(5)

    task = asyncio.create_task(finished_in_thread(stuck, grace_s=0.1))
    await asyncio.sleep(0.05)
    task.cancel()
    with caplog.at_level(logging.ERROR), pytest.raises(asyncio.CancelledError):
        await task
    release.set()
    assert "still running" in caplog.text


async def test_given_no_cancel_then_the_result_and_errors_come_back() -> None:
    assert await finished_in_thread(lambda: 42) == 42

    def broken() -> None:
        raise ValueError("bad row")

    with pytest.raises(ValueError, match="bad row"):
        await finished_in_thread(broken)
