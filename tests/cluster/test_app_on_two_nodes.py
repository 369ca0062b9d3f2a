"""The centre on two real Asterisk nodes (no Kamailio needed: calls are placed on each node directly):
one ACD over both, each agent leg rung on its caller's node, records apart, and a node that dies has its
waiting caller recorded as a node failure while the other node's caller is still answered."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from hotline.app import Centre, ensure_admin
from hotline.db import repository as repo
from hotline.sandbox.cluster import SandboxCluster
from hotline.settings import Settings
from tests.conftest import free_port
from tests.integration.calls import CallDriver, channel_starting, eventually, user_event
from tests.integration.conftest import ADMIN_PASSWORD, WORKING_MORNING
from tests.integration.desktop import DesktopClient, frame_of

pytestmark = [pytest.mark.cluster, pytest.mark.asterisk, pytest.mark.timeout(300)]

AGENT_PHONE = "Local/7101*2*0.5@hotline-sim-agent"


@pytest.fixture(scope="module")
def nodes(cluster: SandboxCluster) -> SandboxCluster:
    """The package's two sandbox nodes; their FastAGI port is this module's centre's."""
    return cluster


@pytest.fixture
async def centre(nodes: SandboxCluster, tmp_path: Path) -> AsyncIterator[Centre]:
    base = nodes.nodes[0].config
    settings = Settings(
        state_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'hotline.db'}",
        http_port=free_port(),
        asterisk_mode="external",
        ami_nodes=",".join(f"{b.config.instance}=127.0.0.1:{b.config.ami_port}" for b in nodes.nodes),
        ami_username=base.ami_username,
        ami_secret=base.ami_secret,
        fastagi_port=base.fastagi_port,
        wrapup_seconds=1.0,
        ring_timeout_seconds=6.0,
        ivr_digit_timeout_seconds=2.0,
        admin_password=ADMIN_PASSWORD,
        node_failure_seconds=3.0,
    )
    c = Centre(settings=settings, ami_secret=base.ami_secret, clock=lambda: WORKING_MORNING)
    ensure_admin(c.sessions, settings)
    await c.start()
    try:
        yield c
    finally:
        await c.stop()


@pytest.fixture
async def drivers(nodes: SandboxCluster) -> AsyncIterator[list[CallDriver]]:
    """One call driver per node."""
    out = [CallDriver(box.config) for box in nodes.nodes]
    for d in out:
        await d.start()
    yield out
    for d in out:
        await d.close()


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
    centre: Centre, drivers: list[CallDriver], agent: DesktopClient, nodes: SandboxCluster
) -> None:
    await agent.status("paused", reason="小休")
    doomed = await drivers[1].call("13800000003", keys="0")
    await drivers[1].wait_event(user_event("HotlineQueued", doomed.call_id), timeout=30)
    survivor = await drivers[0].call("13800000004", keys="0")
    await drivers[0].wait_event(user_event("HotlineQueued", survivor.call_id), timeout=30)

    nodes.nodes[1].crash()
    assert await eventually(lambda: _outcome(centre, doomed.call_id) == "node_failure", timeout=20)

    await agent.status("available")
    await drivers[0].wait_event(channel_starting(AGENT_PHONE.split("@")[0]), timeout=15)
    assert await eventually(lambda: _outcome(centre, survivor.call_id) == "answered", timeout=20)
    nodes.nodes[1].down()
    nodes.nodes[1].up()
