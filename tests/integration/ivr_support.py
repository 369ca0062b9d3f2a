"""Shared pieces of the IVR integration tests: a settable clock, a centre built with it, call checks."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime

import pytest

from hotline.ami.client import AmiEvent
from hotline.app import Centre, ensure_admin
from hotline.db import repository as repo
from hotline.sandbox.instance import AsteriskSandbox
from hotline.settings import Settings
from ivr.flow import SHANGHAI
from tests.integration.calls import CallDriver, eventually, user_event
from tests.integration.ivr_calls import ScriptedCall

WORKDAY_MORNING = datetime(2026, 11, 25, 10, 0, tzinfo=SHANGHAI)
HOLIDAY_NIGHT = datetime(2026, 10, 1, 22, 0, tzinfo=SHANGHAI)


@dataclass
class SetClock:
    """The wall clock the flows see; tests move it."""

    now: datetime = WORKDAY_MORNING

    def __call__(self) -> datetime:
        return self.now


async def start_centre(settings: Settings, sandbox: AsteriskSandbox, clock: SetClock) -> Centre:
    """A started centre whose flows see ``clock`` and whose prompts go to the sandbox root."""
    centre = Centre(
        settings=settings,
        ami_secret=settings.ami_secret.get_secret_value(),
        clock=clock,
        asterisk_root=sandbox.root,
    )
    ensure_admin(centre.sessions, settings)
    await centre.start()
    return centre


@pytest.fixture
def clock() -> SetClock:
    """A clock at a working-day morning."""
    return SetClock()


@pytest.fixture
async def ivr_centre(
    centre_settings: Settings, sandbox: AsteriskSandbox, clock: SetClock
) -> AsyncIterator[Centre]:
    """A running centre whose flows see the test's clock."""
    centre = await start_centre(centre_settings, sandbox, clock)
    try:
        yield centre
    finally:
        await centre.stop()


async def queued(driver: CallDriver, call: ScriptedCall, timeout: float = 40.0) -> AmiEvent:
    """The ``HotlineQueued`` event of the call: where the IVR handed it to the ACD."""
    seen = await driver.wait_event(user_event("HotlineQueued", call.call_id), timeout=timeout)
    return seen.event


def where(event: AmiEvent) -> tuple[str, str, str]:
    """(queue, priority, tags) of a ``HotlineQueued`` event."""
    return event.get("Queue", ""), event.get("CallPriority", ""), event.get("Tags", "")


async def call_row(centre: Centre, call_id: str, check: str = "ivr_flow_version") -> repo.CallRow:
    """The call's record once ``check`` is filled in."""

    def ready() -> repo.CallRow | None:
        row = repo.get_call(centre.sessions, call_id=call_id)
        return row if row is not None and getattr(row, check) is not None else None

    row = await eventually(ready, timeout=15)
    assert isinstance(row, repo.CallRow)
    return row
