"""An agent who answers but cannot be bridged to the caller: the caller is not stranded.

The ACD bridges an agent leg onto the caller's channel by the name it had when it queued. A caller
whose channel was renamed meanwhile (a masquerade) makes Bridge() fail with the caller still on the
line; these tests give the ACD's record of a waiting caller a stale channel name to get there.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from acd.store import AcdStore
from hotline.ami.client import AmiEvent
from hotline.app import Centre
from hotline.db import repository as repo
from hotline.sandbox.instance import AsteriskSandbox
from hotline.settings import Settings
from tests.integration.calls import CallDriver, eventually, user_event
from tests.integration.conftest import sandbox_settings
from tests.integration.desktop import DesktopClient, frame_of
from tests.integration.seats import seat

pytestmark = pytest.mark.asterisk

GENERAL = {"general": 1}


@pytest.fixture
def centre_settings(sandbox: AsteriskSandbox, tmp_path: Path) -> Settings:
    """A long wrap-up, so an agent whose bridge failed is not offered the requeued caller again."""
    return sandbox_settings(sandbox, tmp_path, wrapup_seconds=120.0)


async def rename_in_record(store: AcdStore, call_id: str, n: int) -> None:
    """Make the ACD's copy of a waiting caller's channel name stale (once the ACD has the caller: the
    test's own AMI connection may see HotlineQueued before the centre's does)."""
    await eventually(lambda: store.get_call(call_id))
    call = store.get_call(call_id)
    assert call is not None
    call.channel = f"PJSIP/renamed-{n:08x}"
    store.put_call(call)


def bridge_failed(event: AmiEvent) -> bool:
    """Matcher for the agent leg's report of a failed Bridge()."""
    return event.get("UserEvent") == "HotlineBridgeFailed"


async def nth(driver: CallDriver, match: Callable[[AmiEvent], bool], times: int) -> dict[str, str]:
    """The headers of the ``times``-th event (1-based) matching ``match``, waiting for it."""
    await driver.wait_event(lambda _: sum(1 for s in driver.events if match(s.event)) >= times)
    return dict([s.event for s in driver.events if match(s.event)][times - 1].items())


async def queued(driver: CallDriver, call_id: str, times: int) -> dict[str, str]:
    """The ``times``-th HotlineQueued of ``call_id``."""
    return await nth(driver, user_event("HotlineQueued", call_id), times)


async def test_given_agent_answers_when_bridge_fails_then_caller_requeued_ahead_and_next_agent_talks(
    centre: Centre, driver: CallDriver
) -> None:
    call = await driver.call("13800000021", keys="0")
    first = await queued(driver, call.call_id, 1)
    await rename_in_record(centre.acd.engine.store, call.call_id, 1)
    desks: list[DesktopClient] = []
    try:
        desks.append(await seat(centre, "7311", GENERAL))
        failed = await nth(driver, bridge_failed, 1)
        assert (failed["Result"], failed["CallId"]) == ("NONEXISTENT", call.call_id)
        again = await queued(driver, call.call_id, 2)
        assert (again["Queue"], again["CallPriority"]) == (first["Queue"], "5")
        assert again["Channel"] == first["Channel"]
        await desks[0].wait_frame(frame_of("agent_changed", state="wrap_up"), timeout=10)

        desks.append(await seat(centre, "7312", GENERAL))
        _, offer = await desks[1].wait_frame(frame_of("offer"), timeout=15)
        assert offer["call"]["call_id"] == call.call_id
        await driver.wait_event(lambda e: e.name == "BridgeEnter" and e.get("Uniqueid") == call.call_id)

        def recorded() -> bool:
            kinds = [e.kind for e in repo.call_events(centre.sessions, call_id=call.call_id)]
            return "bridge_failed" in kinds

        await eventually(recorded)
    finally:
        for desk in desks:
            await desk.close()
        await driver.hang_up(call.call_id)


async def test_given_caller_that_never_bridges_when_third_agent_fails_then_fallback_queue_takes_them(
    centre: Centre, driver: CallDriver
) -> None:
    call = await driver.call("13800000022", keys="0")
    desks: list[DesktopClient] = []
    try:
        for n in range(1, 4):
            await queued(driver, call.call_id, n)
            await rename_in_record(centre.acd.engine.store, call.call_id, n)
            desks.append(await seat(centre, f"732{n}", GENERAL))
            await nth(driver, bridge_failed, n)
        fallback = await driver.wait_event(user_event("HotlineFallback", call.call_id))
        assert fallback.event.get("Reason") == "bridge_failed"
        await eventually(lambda: centre.acd.engine.store.get_call(call.call_id) is None)
        assert sum(1 for s in driver.events if user_event("HotlineQueued", call.call_id)(s.event)) == 3
    finally:
        for desk in desks:
            await desk.close()
        await driver.hang_up(call.call_id)
