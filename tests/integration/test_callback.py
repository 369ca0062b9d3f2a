"""Key 1 while waiting: the caller hangs up, keeps their place, and an agent calls them back."""

from __future__ import annotations

import pytest

from hotline.app import Centre
from hotline.db import repository as repo
from tests.integration.calls import CallDriver, channel_starting, eventually, user_event
from tests.integration.conftest import ADMIN_PASSWORD
from tests.integration.desktop import DesktopClient, frame_of

pytestmark = [pytest.mark.asterisk, pytest.mark.timeout(120)]


async def test_given_waiting_caller_when_pressing_1_then_agent_is_rung_and_citizen_called_back(
    centre: Centre, driver: CallDriver
) -> None:
    call = await driver.call("13200132000", keys="0")
    await driver.wait_event(user_event("HotlineQueued", call.call_id), timeout=30)
    await driver.wait_event(
        lambda e: (
            e.name == "Newexten" and e.get("Uniqueid") == call.call_id and e.get("Application") == "WaitExten"
        ),
        timeout=30,
    )
    await driver.ami.send_action(
        {"Action": "PlayDTMF", "Channel": call.local_channel, "Digit": "1", "Duration": "150"}
    )
    await driver.wait_event(user_event("HotlineCallbackRequested", call.call_id), timeout=15)
    await driver.wait_event(lambda e: e.name == "Hangup" and e.get("Uniqueid") == call.call_id, timeout=20)
    waiting = centre.acd.engine.store.get_call(call.call_id)
    assert waiting is not None, "the callback keeps the caller's place in line"

    admin = DesktopClient(centre.url)
    await admin.sign_in("admin", ADMIN_PASSWORD)
    await admin.put_agent(
        "7401",
        name="王五",
        contact="Local/7401*2*0.2@hotline-sim-agent",
        skills={"general": 1},
        password="secret-7401",
    )
    await admin.close()
    desk = DesktopClient(centre.url)
    try:
        await desk.sign_in("7401", "secret-7401")
        await desk.connect()
        await desk.status("available")
        _, offer = await desk.wait_frame(frame_of("offer"), timeout=15)
        assert offer["call"]["callback"] is True
        assert offer["call"]["caller"] == "13200132000"
        await driver.wait_event(channel_starting("Local/13200132000*"), timeout=20)
        await desk.wait_frame(frame_of("agent_changed", state="on_call"), timeout=15)
        await desk.wait_frame(frame_of("agent_changed", state="wrap_up"), timeout=20)
    finally:
        await desk.close()

    def answered() -> object:
        row = repo.get_call(centre.sessions, call_id=call.call_id)
        return row if row is not None and row.outcome == "answered" and row.agent_id == "7401" else None

    await eventually(answered, timeout=10)
