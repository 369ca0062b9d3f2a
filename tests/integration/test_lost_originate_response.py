"""An agent leg whose outcome never reaches the centre does not leave the offer open.

The centre talks to Asterisk through a relay that loses the agent legs' OriginateResponse and
BridgeEnter events (the answer is the leg entering the caller's bridge). A leg that hangs up unanswered
fails the offer (the caller goes back to the head of the queue). Once the leg's ring time and a grace
period are over, the centre asks Asterisk how the leg stands: a leg that is up and bridged is
connected; a leg that is gone (its Hangup lost too) fails the offer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from acd.legs import LEG_VERDICT_GRACE_S
from acd.model import AgentState, CallState
from hotline.app import Centre
from hotline.sandbox.instance import AsteriskSandbox
from hotline.settings import Settings
from tests.integration.ami_proxy import AmiProxy
from tests.integration.calls import CallDriver, eventually
from tests.integration.conftest import sandbox_settings
from tests.integration.desktop import DesktopClient, frame_of
from tests.integration.seats import seat

pytestmark = pytest.mark.asterisk

RING_TIMEOUT_S = 4.0
VERDICT_AFTER_S = RING_TIMEOUT_S + LEG_VERDICT_GRACE_S


@pytest.fixture
def lost_events() -> frozenset[str]:
    """Which events about agent legs the relay loses."""
    return frozenset({"OriginateResponse", "BridgeEnter"})


@pytest.fixture
async def lossy_ami(sandbox: AsteriskSandbox, lost_events: frozenset[str]) -> AsyncIterator[AmiProxy]:
    """A relay to the sandbox's AMI that drops ``lost_events`` about agent legs (ids ``hl-...``)."""

    def agent_leg_outcome(h: dict[str, str]) -> bool:
        leg = h.get("ActionID", "").startswith("hl-") or h.get("Uniqueid", "").startswith("hl-")
        return leg and h.get("Event", "") in lost_events

    proxy = AmiProxy(sandbox.config.ami_port, drop=agent_leg_outcome)
    await proxy.start()
    yield proxy
    await proxy.close()


@pytest.fixture
def ring_timeout_s() -> float:
    """How long the centre rings an agent."""
    return RING_TIMEOUT_S


@pytest.fixture
def centre_settings(
    sandbox: AsteriskSandbox, tmp_path: Path, lossy_ami: AmiProxy, ring_timeout_s: float
) -> Settings:
    """The centre reaches AMI through the lossy relay."""
    return sandbox_settings(sandbox, tmp_path, ami_port=lossy_ami.port, ring_timeout_seconds=ring_timeout_s)


async def test_given_answer_report_lost_when_ring_time_over_then_leg_found_up_and_call_connected(
    centre: Centre, driver: CallDriver, lossy_ami: AmiProxy
) -> None:
    desk: DesktopClient = await seat(centre, "7411", {"general": 1})
    call = await driver.call("13800000031", keys="0")
    try:
        await driver.wait_event(lambda e: e.name == "BridgeEnter" and e.get("Uniqueid") == call.call_id)
        record = centre.acd.engine.store.get_call(call.call_id)
        assert record is not None
        assert record.state is CallState.OFFERED
        await desk.wait_frame(frame_of("agent_changed", state="on_call"), timeout=VERDICT_AFTER_S + 10)
        assert [h.get("Response") for h in lossy_ami.dropped if "Response" in h] == ["Success"]
        assert "BridgeEnter" in [h.get("Event") for h in lossy_ami.dropped]
        record = centre.acd.engine.store.get_call(call.call_id)
        assert record is not None
        assert (record.state, record.agent_id) == (CallState.CONNECTED, "7411")
    finally:
        await desk.close()
        await driver.hang_up(call.call_id)


@pytest.mark.parametrize(
    "lost_events",
    [
        frozenset({"OriginateResponse", "BridgeEnter"}),
        frozenset({"OriginateResponse", "BridgeEnter", "Hangup"}),
    ],
    ids=["leg_hangup_fails_it", "watch_finds_leg_gone"],
)
async def test_given_no_answer_report_lost_then_offer_fails_and_call_waits_again(
    centre: Centre, driver: CallDriver, lossy_ami: AmiProxy, lost_events: frozenset[str]
) -> None:
    """Its Hangup fails the offer at once; with the Hangup lost too, the watch does after the ring time."""
    desk: DesktopClient = await seat(centre, "7412", {"general": 1}, talk_s=-1)
    call = await driver.call("13800000032", keys="0")
    try:
        await desk.wait_frame(frame_of("offer"), timeout=20)
        paused_frame = frame_of("agent_changed", status="paused", pause_reason="no answer")
        _, paused = await desk.wait_frame(paused_frame, timeout=VERDICT_AFTER_S + 10)
        assert paused["data"]["state"] == "idle"
        assert [h.get("Response") for h in lossy_ami.dropped if "Response" in h] == ["Failure"]
        assert ("Hangup" in {h.get("Event") for h in lossy_ami.dropped}) == ("Hangup" in lost_events)
        record = centre.acd.engine.store.get_call(call.call_id)
        assert record is not None
        assert (record.state, record.agent_id) == (CallState.WAITING, None)
        agent = centre.acd.engine.store.get_agent("7412")
        assert agent is not None
        assert agent.state is AgentState.IDLE
        await eventually(lambda: not centre.acd.legs)
    finally:
        await desk.close()
        await driver.hang_up(call.call_id)


@pytest.mark.parametrize("ring_timeout_s", [120.0])
async def test_given_answer_lost_when_link_drops_and_comes_back_then_resync_connects_the_leg_at_once(
    centre: Centre, driver: CallDriver, lossy_ami: AmiProxy
) -> None:
    """The leg's ring time (two minutes) is far from over: only the resync after reconnection acts."""
    desk: DesktopClient = await seat(centre, "7413", {"general": 1})
    call = await driver.call("13800000033", keys="0")
    try:
        await driver.wait_event(lambda e: e.name == "BridgeEnter" and e.get("Uniqueid") == call.call_id)
        connections = centre.ami.connections_made
        await lossy_ami.cut()
        await eventually(lambda: centre.ami.connections_made > connections and centre.ami.connected)
        await desk.wait_frame(frame_of("agent_changed", state="on_call"), timeout=30)
        record = centre.acd.engine.store.get_call(call.call_id)
        assert record is not None
        assert (record.state, record.agent_id) == (CallState.CONNECTED, "7413")
    finally:
        await desk.close()
        await driver.hang_up(call.call_id)
