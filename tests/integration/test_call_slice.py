"""One citizen call end to end through the real Asterisk: IVR, ACD, screen-pop, bridge, records, wrap-up."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from hotline.app import Centre
from hotline.db import repository as repo
from tests.integration.calls import CallDriver, channel_starting, eventually, user_event
from tests.integration.conftest import ADMIN_PASSWORD
from tests.integration.desktop import DesktopClient, frame_of

pytestmark = pytest.mark.asterisk


@pytest.fixture
async def agent(centre: Centre) -> AsyncIterator[DesktopClient]:
    """Agent 7001 with a simulated phone (rings 0.5 s, talks 2 s), signed in with a desktop open."""
    admin = DesktopClient(centre.url)
    await admin.sign_in("admin", ADMIN_PASSWORD)
    await admin.put_agent(
        "7001",
        name="张三",
        contact="Local/7001*2*0.5@hotline-sim-agent",
        skills={"general": 1, "enterprise": 1},
        password="secret-7001",
    )
    await admin.close()
    desk = DesktopClient(centre.url)
    await desk.sign_in("7001", "secret-7001")
    await desk.connect()
    await desk.wait_frame(frame_of("hello"))
    yield desk
    await desk.close()


async def test_given_available_agent_when_citizen_presses_3_then_call_reaches_agent_and_is_recorded(
    centre: Centre, driver: CallDriver, agent: DesktopClient
) -> None:
    view = await agent.status("available")
    assert (view["status"], view["state"]) == ("available", "idle")

    call = await driver.call("13800138000", keys="3")
    await driver.wait_event(user_event("HotlineQueued", call.call_id), timeout=20)

    pop_at, pop = await agent.wait_frame(frame_of("offer"), timeout=10)
    ring = await driver.wait_event(channel_starting("Local/7001*2*0.5@hotline-sim-agent"), timeout=10)
    assert pop_at <= ring.at, "the screen-pop must arrive no later than the agent's phone rings"
    assert pop["call"]["caller"] == "13800138000"
    assert pop["call"]["queue"] == "enterprise"
    assert pop["call"]["ivr"]["keys"] == "3"
    assert pop["call"]["waited_s"] >= 0

    await driver.wait_event(lambda e: e.name == "BridgeEnter" and e.get("Uniqueid") == call.call_id)
    await agent.wait_frame(frame_of("agent_changed", state="on_call"))
    await agent.wait_frame(frame_of("agent_changed", state="wrap_up"), timeout=15)
    await agent.wait_frame(frame_of("agent_changed", state="idle", status="available"), timeout=10)

    def finished() -> object:
        row = repo.get_call(centre.sessions, call_id=call.call_id)
        return row if row is not None and row.ended_at is not None else None

    record = await eventually(finished)
    assert isinstance(record, repo.CallRow)
    assert (record.caller, record.queue, record.ivr_keys) == ("13800138000", "enterprise", "3")
    assert (record.outcome, record.agent_id) == ("answered", "7001")
    assert record.wait_seconds is not None
    assert record.wait_seconds >= 0
    assert record.talk_seconds is not None
    assert record.talk_seconds > 1.0
    assert record.ended_at is not None
    states = [row.state for row in repo.agent_state_history(centre.sessions, agent_id="7001")]
    for expected in ("offered", "on_call", "wrap_up", "idle"):
        assert expected in states


async def test_given_no_agent_when_citizen_hangs_up_while_waiting_then_abandon_is_recorded(
    centre: Centre, driver: CallDriver
) -> None:
    call = await driver.call("13900139000", keys="0")
    await driver.wait_event(user_event("HotlineQueued", call.call_id), timeout=20)
    await driver.dialer.hang_up(call)
    await driver.wait_event(lambda e: e.name == "Hangup" and e.get("Uniqueid") == call.call_id)

    def abandoned() -> object:
        row = repo.get_call(centre.sessions, call_id=call.call_id)
        return row if row is not None and row.outcome == "abandoned" else None

    record = await eventually(abandoned)
    assert isinstance(record, repo.CallRow)
    assert (record.outcome, record.queue, record.ivr_keys) == ("abandoned", "general", "0")
    assert record.wait_seconds is not None
    assert record.wait_seconds >= 0


@pytest.mark.timeout(150)
async def test_given_silence_when_menu_times_out_then_caller_goes_to_general_queue(
    centre: Centre, driver: CallDriver
) -> None:
    call = await driver.call("13700137000", keys="")
    queued = await driver.wait_event(user_event("HotlineQueued", call.call_id), timeout=90)
    assert queued.event.get("Queue") == "general"
    await driver.dialer.hang_up(call)
