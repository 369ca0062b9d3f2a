"""The ACD against event orderings a busy Asterisk produces, through a real AMI socket (FakeAmi).

Each test pushes the events of one race in a single TCP write, the way Asterisk delivers them when they
happen close together, and checks the state of calls, agents and legs once everything is handled.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from acd.model import AgentStatus, CallState
from tests.unit.acd_core import (
    AcdCore,
    ami_frame,
    channel_list,
    hangup,
    leg_id_of,
    queued,
    start_core,
    stop_core,
)
from tests.unit.ami_fake_server import FakeAmi, frame_get

pytestmark = pytest.mark.timeout(30)


@pytest.fixture
async def core() -> AsyncIterator[AcdCore]:
    core = await start_core()
    yield core
    await stop_core(core)


async def _reconnect(core: AcdCore) -> None:
    """Asterisk's AMI goes away and comes back; the consumer resynchronises on the new connection."""
    made = core.ami.connections_made
    lists = len(core.server.frames_for("CoreShowChannels"))
    await core.server.stop()
    await core.server.start()
    await FakeAmi.wait_until(lambda: core.ami.connections_made > made and core.ami.connected)
    await FakeAmi.wait_until(lambda: len(core.server.frames_for("CoreShowChannels")) > lists)
    await core.settle()


async def test_given_no_agent_ready_when_caller_queued_right_behind_the_channel_list_then_caller_waits(
    core: AcdCore,
) -> None:
    core.server.transcripts["coreshowchannels"] = channel_list([], then=queued("1700000000.7"))

    await _reconnect(core)

    call = core.service.engine.store.get_call("1700000000.7")
    assert call is not None
    assert call.state is CallState.WAITING
    assert "1700000000.7" not in core.ended()


async def test_given_one_agent_ready_when_caller_queued_right_behind_the_channel_list_then_the_offer_rings(
    core: AcdCore,
) -> None:
    core.login("1001")
    core.server.transcripts["coreshowchannels"] = channel_list([], then=queued("1700000000.8"))

    await _reconnect(core)

    call = core.service.engine.store.get_call("1700000000.8")
    assert call is not None
    assert call.state is CallState.OFFERED
    assert call.agent_id == "1001"
    assert len(core.originates_for("1700000000.8")) == 1
    agent = core.service.engine.store.get_agent("1001")
    assert agent is not None
    assert agent.status is AgentStatus.AVAILABLE
    assert core.pause_reasons("1001") == []
    assert list(core.service.leg_of_call) == ["1700000000.8"]


async def test_given_a_leg_seen_before_the_outage_when_it_is_gone_after_then_the_offer_fails(
    core: AcdCore,
) -> None:
    core.login("1001")
    await core.server.push(queued("1700000000.9"))
    await core.settle()
    leg_id = leg_id_of(core.originates_for("1700000000.9")[0])
    await core.server.push(ami_frame(Event="Newchannel", Channel="PJSIP/1001-00000001", Uniqueid=leg_id))
    await core.settle()
    core.server.transcripts["coreshowchannels"] = channel_list(["1700000000.9"])

    await _reconnect(core)

    assert core.pause_reasons("1001") == ["no answer"]
    call = core.service.engine.store.get_call("1700000000.9")
    assert call is not None
    assert call.state is CallState.WAITING
    assert core.service.legs == {}


async def test_given_an_agent_ready_when_caller_queued_and_hung_up_in_one_read_then_nothing_rings(
    core: AcdCore,
) -> None:
    core.login("1001")

    await core.server.push(queued("1700000001.1") + hangup("1700000001.1"))
    await core.settle()

    assert core.originates_for("1700000001.1") == []
    assert core.actions("Hangup") == []
    assert core.service.legs == {}
    assert core.service.leg_of_call == {}
    assert core.service.engine.store.get_call("1700000001.1") is None
    agent = core.service.engine.store.get_agent("1001")
    assert agent is not None
    assert agent.status is AgentStatus.AVAILABLE
    assert agent.offered_call_id is None
    assert core.ended() == {"1700000001.1": "abandoned"}


async def test_given_an_offered_leg_ringing_when_the_caller_hangs_up_then_one_hangup_is_sent(
    core: AcdCore,
) -> None:
    core.login("1001")
    await core.server.push(queued("1700000001.2"))
    await core.settle()
    leg_id = leg_id_of(core.originates_for("1700000001.2")[0])
    await core.server.push(ami_frame(Event="Newchannel", Channel="PJSIP/1001-00000002", Uniqueid=leg_id))
    await core.settle()

    await core.server.push(hangup("1700000001.2"))
    await core.settle()

    hangups = core.actions("Hangup")
    assert [frame_get(f, "Channel") for f in hangups] == [leg_id]
    assert core.service.legs == {}
    assert core.service.leg_of_call == {}


async def test_given_caller_hangs_up_during_the_originate_round_trip_then_leg_hung_up_and_not_watched(
    core: AcdCore,
) -> None:
    core.login("1001")
    core.server.transcripts["originate"] = hangup("1700000001.3") + (
        "Response: Success\r\nActionID: {action_id}\r\nMessage: Originate successfully queued\r\n\r\n"
    )

    await core.server.push(queued("1700000001.3"))
    await core.settle()

    leg_id = leg_id_of(core.originates_for("1700000001.3")[0])
    assert core.service.legs == {}
    assert core.service._leg_watches == {}
    assert [frame_get(f, "Channel") for f in core.actions("Hangup")] == [leg_id]

    await core.server.push(ami_frame(Event="Newchannel", Channel="PJSIP/1001-00000003", Uniqueid=leg_id))
    await core.settle()

    assert [frame_get(f, "Channel") for f in core.actions("Hangup")] == [leg_id, leg_id]
    agent = core.service.engine.store.get_agent("1001")
    assert agent is not None
    assert agent.status is AgentStatus.AVAILABLE
