"""After Asterisk restarts, the centre reconnects over AMI and closes the calls Asterisk no longer has."""

from __future__ import annotations

import asyncio

import pytest

from hotline.app import Centre
from hotline.db import repository as repo
from hotline.sandbox.instance import AsteriskSandbox
from tests.integration.calls import CallDriver, eventually, user_event

pytestmark = pytest.mark.asterisk


async def test_given_waiting_caller_when_asterisk_restarts_then_call_is_closed_and_routing_resumes(
    centre: Centre, driver: CallDriver, sandbox: AsteriskSandbox
) -> None:
    call = await driver.call("13300133000", keys="0")
    await driver.wait_event(user_event("HotlineQueued", call.call_id), timeout=20)
    logins_before = centre.ami.connections_made

    # In threads: the centre's event loop keeps running, as it would while a real Asterisk restarts.
    await asyncio.to_thread(sandbox.down)
    await asyncio.to_thread(sandbox.up)

    await eventually(lambda: centre.ami.connections_made > logins_before and centre.ami.connected, timeout=30)

    def closed() -> object:
        row = repo.get_call(centre.sessions, call_id=call.call_id)
        return row is not None and row.outcome == "abandoned"

    await eventually(closed, timeout=15)
    assert centre.acd.engine.store.get_call(call.call_id) is None

    await eventually(lambda: driver.ami.connected, timeout=30)
    again = await driver.call("13300133001", keys="0")
    queued = await driver.wait_event(user_event("HotlineQueued", again.call_id), timeout=20)
    assert queued.event.get("Queue") == "general"
    await eventually(lambda: centre.acd.engine.store.get_call(again.call_id) is not None, timeout=10)
    await driver.dialer.hang_up(again)
