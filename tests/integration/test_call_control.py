"""Blind transfers and three-way calls on live calls through the real Asterisk."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from hotline.app import Centre
from hotline.db import repository as repo
from tests.integration.calls import CallDriver, channel_starting, eventually, user_event
from tests.integration.desktop import DesktopClient, frame_of
from tests.integration.seats import connected_call, seat

pytestmark = pytest.mark.asterisk


@pytest.fixture
async def general_agent(centre: Centre) -> AsyncIterator[DesktopClient]:
    """An agent of the general line whose simulated phone talks for a minute."""
    desk = await seat(centre, "7201", {"general": 1})
    yield desk
    await desk.close()


async def test_given_call_when_transferred_to_queue_then_next_agent_of_that_queue_gets_it(
    centre: Centre, driver: CallDriver, general_agent: DesktopClient
) -> None:
    call_id = await connected_call(driver, general_agent, "13800000001")
    enterprise = await seat(centre, "7202", {"enterprise": 1})
    try:
        resp = await general_agent.http.post(
            "/api/me/call/transfer", json={"queue": "enterprise"}, headers=general_agent.auth
        )
        assert resp.status_code == 200, resp.text
        requeued = await driver.wait_event(
            lambda e: user_event("HotlineQueued", call_id)(e) and e.get("Queue") == "enterprise"
        )
        assert requeued.event.get("CallPriority") == "5"
        _, offer = await enterprise.wait_frame(frame_of("offer"), timeout=15)
        assert offer["call"]["call_id"] == call_id
        await general_agent.wait_frame(frame_of("agent_changed", state="wrap_up"))

        def transferred() -> bool:
            return "transferred" in {e.kind for e in repo.call_events(centre.sessions, call_id=call_id)}

        await eventually(transferred)
    finally:
        await enterprise.close()


async def test_given_call_when_three_way_with_110_and_agent_leaves_then_caller_stays_with_110(
    centre: Centre, driver: CallDriver, general_agent: DesktopClient
) -> None:
    call_id = await connected_call(driver, general_agent, "13800000002")
    resp = await general_agent.http.post(
        "/api/me/call/three-way", json={"directory_id": "police"}, headers=general_agent.auth
    )
    assert resp.status_code == 200, resp.text
    conference = resp.json()["conference"]
    await driver.wait_event(lambda e: e.name == "ConfbridgeJoin" and e.get("Uniqueid") == call_id)
    await driver.wait_event(
        lambda e: e.name == "ConfbridgeJoin" and e.get("Channel", "").startswith("Local/7201*")
    )
    await driver.wait_event(
        lambda e: e.name == "ConfbridgeJoin" and e.get("Channel", "").startswith("Local/110*"), timeout=15
    )

    resp = await general_agent.http.post("/api/me/call/leave", headers=general_agent.auth)
    assert resp.status_code == 200, resp.text
    await general_agent.wait_frame(frame_of("agent_changed", state="wrap_up"), timeout=10)
    listing = driver.events
    assert not any(e.event.name == "ConfbridgeLeave" and e.event.get("Uniqueid") == call_id for e in listing)
    assert conference.startswith("hl-")


async def test_given_call_when_transferred_to_12315_then_caller_dials_it_and_agent_wraps_up(
    centre: Centre, driver: CallDriver, general_agent: DesktopClient
) -> None:
    call_id = await connected_call(driver, general_agent, "13800000003")
    resp = await general_agent.http.post(
        "/api/me/call/transfer", json={"directory_id": "consumer"}, headers=general_agent.auth
    )
    assert resp.status_code == 200, resp.text
    await driver.wait_event(user_event("HotlineTransfer", call_id))
    await driver.wait_event(channel_starting("Local/12315*"))
    await general_agent.wait_frame(frame_of("agent_changed", state="wrap_up"), timeout=10)


async def test_given_no_call_when_transfer_requested_then_409(
    centre: Centre, general_agent: DesktopClient
) -> None:
    resp = await general_agent.http.post(
        "/api/me/call/transfer", json={"queue": "enterprise"}, headers=general_agent.auth
    )
    assert resp.status_code == 409
    assert resp.json()["error_id"] == "no_live_call"
    bad = await general_agent.http.post(
        "/api/me/call/transfer", json={"queue": "x", "directory_id": "y"}, headers=general_agent.auth
    )
    assert bad.status_code == 422
