"""The centre on two real Asterisk nodes (no Kamailio needed: calls are placed on each node directly):
one ACD over both, each agent leg rung on its caller's node, records apart, and a node that dies has its
waiting caller recorded as a node failure while the other node's caller is still answered."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from hotline.app import Centre
from hotline.db import repository as repo
from hotline.sandbox.cluster import SandboxCluster
from tests.integration.calls import CallDriver, channel_starting, eventually, user_event
from tests.integration.conftest import ADMIN_PASSWORD
from tests.integration.desktop import DesktopClient, frame_of

pytestmark = [pytest.mark.cluster, pytest.mark.asterisk, pytest.mark.timeout(300)]

AGENT_PHONE = "Local/7101*2*0.5@hotline-sim-agent"


@pytest.fixture
async def agent(centre: Centre) -> AsyncIterator[DesktopClient]:
    admin = DesktopClient(centre.url)
    await admin.sign_in("admin", ADMIN_PASSWORD)
    await admin.put_agent(
        "7101", name="李四", contact=AGENT_PHONE, skills={"general": 1}, password="secret-7101"
    )
    await admin.close()
    desk = DesktopClient(centre.url)
    await desk.sign_in("7101", "secret-7101")
    await desk.connect()
    await desk.wait_frame(frame_of("hello"))
    yield desk
    await desk.close()


def _outcome(centre: Centre, call_id: str) -> str | None:
    row = repo.get_call(centre.sessions, call_id=call_id)
    return None if row is None else row.outcome


def _agent_legs(driver: CallDriver) -> int:
    """Agent phone channels this node has created so far."""
    return sum(
        1
        for seen in driver.events
        if seen.event.name == "Newchannel" and seen.event.get("Channel", "").startswith("Local/7101*")
    )


async def test_given_callers_on_both_nodes_when_one_agent_serves_them_then_each_leg_rings_on_its_callers_node(
    centre: Centre, drivers: list[CallDriver], agent: DesktopClient
) -> None:
    await agent.status("available")

    first = await drivers[0].call("13800000001", keys="0")
    await drivers[0].wait_event(user_event("HotlineQueued", first.call_id), timeout=30)
    await drivers[0].wait_event(channel_starting("Local/7101*"), timeout=15)
    assert _agent_legs(drivers[1]) == 0

    second = await drivers[1].call("13800000002", keys="0")
    await drivers[1].wait_event(user_event("HotlineQueued", second.call_id), timeout=30)
    await drivers[1].wait_event(channel_starting("Local/7101*"), timeout=20)

    assert await eventually(lambda: _outcome(centre, first.call_id) == "answered", timeout=20)
    assert await eventually(lambda: _outcome(centre, second.call_id) == "answered", timeout=20)
    assert first.call_id != second.call_id


async def test_given_a_waiting_caller_on_a_node_that_dies_then_it_is_recorded_as_node_failure(
    centre: Centre, drivers: list[CallDriver], agent: DesktopClient, cluster: SandboxCluster
) -> None:
    await agent.status("paused", reason="小休")
    doomed = await drivers[1].call("13800000003", keys="0")
    await drivers[1].wait_event(user_event("HotlineQueued", doomed.call_id), timeout=30)
    survivor = await drivers[0].call("13800000004", keys="0")
    await drivers[0].wait_event(user_event("HotlineQueued", survivor.call_id), timeout=30)

    cluster.nodes[1].crash()
    assert await eventually(lambda: _outcome(centre, doomed.call_id) == "node_failure", timeout=20)

    await agent.status("available")
    await drivers[0].wait_event(channel_starting(AGENT_PHONE.split("@")[0]), timeout=15)
    assert await eventually(lambda: _outcome(centre, survivor.call_id) == "answered", timeout=20)
    cluster.nodes[1].down()
    cluster.nodes[1].up()
