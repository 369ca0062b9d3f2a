"""Two centres on one Redis and one Asterisk: a desktop on node A sees what node B's ACD decides.

Node A serves FastAGI and the agent's desktop; node B decides the offer (the agent becomes available
through B's REST API while the call waits). The screen-pop must reach the desktop on A before the
agent's phone rings, exactly once, and B's agent events must reach it too.
"""

from __future__ import annotations

import asyncio

import pytest

from hotline.app import Centre
from tests.integration import two_centres as shared
from tests.integration.calls import CallDriver, channel_starting, user_event
from tests.integration.conftest import ADMIN_PASSWORD
from tests.integration.desktop import DesktopClient, frame_of

pytestmark = [pytest.mark.asterisk, pytest.mark.redis, pytest.mark.timeout(120)]

AGENT = "7801"
PHONE = f"Local/{AGENT}*2*0.5@hotline-sim-agent"


two_centres = shared.two_centres


async def test_given_desktop_on_node_a_when_node_b_decides_the_offer_then_pop_arrives_once_before_ring(
    two_centres: tuple[Centre, Centre], driver: CallDriver
) -> None:
    a, b = two_centres
    assert a.cross_node is not None
    assert b.cross_node is not None
    admin = DesktopClient(a.url)
    await admin.sign_in("admin", ADMIN_PASSWORD)
    await admin.put_agent(AGENT, name="李四", contact=PHONE, skills={"enterprise": 1}, password="pw-7801")
    await admin.close()
    desk = DesktopClient(a.url)
    await desk.sign_in(AGENT, "pw-7801")
    await desk.connect()
    await desk.wait_frame(frame_of("hello"))
    for _ in range(100):
        if await b.cross_node.nodes_with_desktop(AGENT) == [a.cross_node.relay.node_id]:
            break
        await asyncio.sleep(0.05)
    else:
        pytest.fail("node B never learnt that the agent's desktop is on node A")

    call = await driver.call("13800138001", keys="3")
    await driver.wait_event(user_event("HotlineQueued", call.call_id), timeout=20)
    via_b = DesktopClient(b.url)
    await via_b.sign_in(AGENT, "pw-7801")
    await via_b.status("available")

    pop_at, pop = await desk.wait_frame(frame_of("offer"), timeout=10)
    ring = await driver.wait_event(channel_starting(PHONE), timeout=10)
    assert pop_at <= ring.at, "the screen-pop must arrive no later than the agent's phone rings"
    assert pop["call"]["call_id"] == call.call_id
    assert call.call_id in b.acd.leg_of_call, "node B decided the offer"
    assert call.call_id not in a.acd.leg_of_call
    await desk.wait_frame(frame_of("agent_changed", status="available", state="idle"))
    await desk.wait_frame(frame_of("agent_changed", state="offered"))

    await driver.wait_event(lambda e: e.name == "BridgeEnter" and e.get("Uniqueid") == call.call_id)
    await desk.wait_frame(frame_of("agent_changed", state="on_call"))
    offers = [f for _, f in desk.frames if f.get("type") == "offer"]
    assert len(offers) == 1, "one screen-pop per offer, not one more from the relayed agent.offer"
    print(f"screen-pop {(ring.at - pop_at) * 1e3:.1f} ms before the agent leg's Newchannel")
    # Call control from the desktop's node works although node B holds the agent leg.
    left = await desk.http.post("/api/me/call/leave", headers=desk.auth)
    assert left.status_code == 200, left.text
    await desk.wait_frame(frame_of("agent_changed", state="wrap_up"), timeout=10)
    await driver.dialer.hang_up(call)
    await desk.close()
    await via_b.close()
