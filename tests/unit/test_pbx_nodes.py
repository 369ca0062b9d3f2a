"""Several Asterisk nodes behind one ACD, each a real AMI socket (FakeAmi): events carry their node, an
agent leg rings on its caller's node, node-wide actions reach every node, one node's loss concerns only
its own calls, and a node that stays down has its calls settled as node failures."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from acd.ami_consume import AmiConsumer
from acd.engine import AcdEngine
from acd.events import OfferAnswered
from acd.model import NODE_FAILURE, AgentState, CallState
from acd.node_watch import NodeWatch
from acd.queue_config import default_queue_configs
from acd.service import AcdService
from acd.store import MemoryStore
from hotline.ami.client import AmiClient, AmiError
from hotline.ami.nodes import PbxNodes
from hotline.settings import Settings
from tests.unit.acd_core import (
    AcdCore,
    InstantDesktops,
    RecordingBus,
    channel_list,
    hangup,
    leg_id_of,
    queued,
)
from tests.unit.ami_fake_server import FakeAmi, frame_get

pytestmark = pytest.mark.timeout(30)


@dataclass
class Cluster:
    """Two nodes, one ACD; ``core`` gives the race-test helpers over the whole cluster."""

    a: FakeAmi
    b: FakeAmi
    pbx: PbxNodes
    core: AcdCore
    now: list[float]

    def watch(self, *, callbacks: bool = False) -> NodeWatch:
        return NodeWatch(
            ami=self.pbx,
            service=self.core.service,
            failure_after_s=30,
            callbacks=callbacks,
            clock=lambda: self.now[0],
        )


@pytest.fixture
async def cluster() -> AsyncIterator[Cluster]:
    a, b = FakeAmi(), FakeAmi()
    for server in (a, b):
        server.transcripts["coreshowchannels"] = channel_list([])
        await server.start()
    pbx = PbxNodes(
        [
            AmiClient(
                host="127.0.0.1",
                port=s.port,
                username="hotline",
                secret=s.secret,
                node=name,
                reconnect_delay=0.01,
            )
            for name, s in (("a", a), ("b", b))
        ]
    )
    bus = RecordingBus()
    engine = AcdEngine(queues=default_queue_configs(default_wrapup_s=30), store=MemoryStore())
    service = AcdService(engine=engine, ami=pbx, bus=bus, notifier=InstantDesktops(), ring_timeout_s=60)
    consumer = AmiConsumer(ami=pbx, service=service, bus=bus)
    consumer.install()
    await pbx.start(connect_timeout=3.0)
    await FakeAmi.wait_until(lambda: pbx.node_connected("a") and pbx.node_connected("b"))
    core = AcdCore(a, pbx.for_node("a"), bus, service, consumer)
    await core.settle()
    yield Cluster(a, b, pbx, core, [1000.0])
    await service.close()
    await pbx.close()
    await a.stop()
    await b.stop()


async def test_given_a_caller_on_node_b_when_offered_then_the_agent_leg_rings_on_node_b(
    cluster: Cluster,
) -> None:
    cluster.core.login("1001")

    await cluster.b.push(queued("b-1700000000.1"))
    await cluster.core.settle()
    await FakeAmi.wait_until(lambda: bool(cluster.b.frames_for("Originate")))

    assert cluster.a.frames_for("Originate") == []
    call = cluster.core.service.engine.store.get_call("b-1700000000.1")
    assert call is not None
    assert call.attrs["node"] == "b"
    leg_id = leg_id_of(cluster.b.frames_for("Originate")[0])
    assert cluster.pbx.node_of(leg_id) == "b"


async def test_given_a_ringing_leg_on_node_b_when_its_caller_hangs_up_then_the_hangup_goes_to_node_b(
    cluster: Cluster,
) -> None:
    cluster.core.login("1001")
    await cluster.b.push(queued("b-1700000000.2"))
    await FakeAmi.wait_until(lambda: bool(cluster.b.frames_for("Originate")))
    leg_id = leg_id_of(cluster.b.frames_for("Originate")[0])
    await cluster.b.push(f"Event: Newchannel\r\nChannel: PJSIP/1001-00000001\r\nUniqueid: {leg_id}\r\n\r\n")
    await cluster.core.settle()

    await cluster.b.push(hangup("b-1700000000.2"))
    await FakeAmi.wait_until(lambda: bool(cluster.b.frames_for("Hangup")))

    assert [frame_get(f, "Channel") for f in cluster.b.frames_for("Hangup")] == [leg_id]
    assert cluster.a.frames_for("Hangup") == []


async def test_given_two_nodes_when_the_heartbeat_is_written_then_both_nodes_get_it(cluster: Cluster) -> None:
    await cluster.pbx.send_action({"Action": "DBPut", "Family": "hotline", "Key": "heartbeat", "Val": "1"})

    assert len(cluster.a.frames_for("DBPut")) == 1
    assert len(cluster.b.frames_for("DBPut")) == 1


async def test_given_node_a_reconnects_when_its_list_lacks_node_b_calls_then_only_node_a_calls_close(
    cluster: Cluster,
) -> None:
    await cluster.a.push(queued("a-1700000000.3"))
    await cluster.b.push(queued("b-1700000000.4"))
    await FakeAmi.wait_until(lambda: len(list(cluster.core.service.engine.store.iter_calls())) == 2)
    lists = len(cluster.a.frames_for("CoreShowChannels"))

    await cluster.a.stop()
    await cluster.a.start()
    await FakeAmi.wait_until(lambda: len(cluster.a.frames_for("CoreShowChannels")) > lists)
    await cluster.core.settle()

    assert cluster.core.ended() == {"a-1700000000.3": "abandoned"}
    call = cluster.core.service.engine.store.get_call("b-1700000000.4")
    assert call is not None
    assert call.state is CallState.WAITING


async def test_given_node_a_down_past_the_limit_then_its_calls_end_as_node_failure_and_agents_are_free(
    cluster: Cluster,
) -> None:
    cluster.core.login("1001")
    cluster.core.login("1002")
    await cluster.a.push(queued("a-1700000000.5") + queued("a-1700000000.6") + queued("a-1700000000.7"))
    await cluster.b.push(queued("b-1700000000.8"))
    await FakeAmi.wait_until(lambda: len(cluster.a.frames_for("Originate")) == 2)
    await cluster.core.settle()
    answered = cluster.core.service.engine.store.get_call("a-1700000000.5")
    assert answered is not None
    assert answered.agent_id is not None
    cluster.core.service.submit(OfferAnswered(call_id=answered.call_id, agent_id=answered.agent_id))
    watch = cluster.watch()

    await cluster.a.stop()
    await FakeAmi.wait_until(lambda: not cluster.pbx.node_connected("a"))
    watch.check()
    cluster.now[0] += 29
    watch.check()
    assert cluster.core.ended() == {}
    cluster.now[0] += 1
    watch.check()

    assert cluster.core.ended() == {
        "a-1700000000.5": "finished",
        "a-1700000000.6": NODE_FAILURE,
        "a-1700000000.7": NODE_FAILURE,
    }
    store = cluster.core.service.engine.store
    b_call = store.get_call("b-1700000000.8")
    assert b_call is not None
    assert b_call.state is not CallState.ENDED
    states = {a: store.get_agent(a) for a in ("1001", "1002")}
    assert {str(x.state) for x in states.values() if x is not None} <= {
        str(AgentState.WRAP_UP),
        str(AgentState.OFFERED),
        str(AgentState.IDLE),
    }
    assert all(x is not None and x.current_call_id is None for x in states.values())
    assert all(call_id.startswith("b-") for call_id in cluster.core.service.leg_of_call)


async def test_given_callbacks_enabled_when_node_a_fails_then_its_waiting_caller_gets_a_callback_entry(
    cluster: Cluster,
) -> None:
    await cluster.a.push(queued("a-1700000000.9", caller="13800138000"))
    await FakeAmi.wait_until(lambda: cluster.core.service.engine.store.get_call("a-1700000000.9") is not None)
    watch = cluster.watch(callbacks=True)

    await cluster.a.stop()
    await FakeAmi.wait_until(lambda: not cluster.pbx.node_connected("a"))
    watch.check()
    cluster.now[0] += 30
    watch.check()

    call = cluster.core.service.engine.store.get_call("a-1700000000.9")
    assert call is not None
    assert call.callback == "13800138000"


def test_given_nodes_in_settings_when_read_then_names_hosts_and_ports_else_a_clear_error() -> None:
    settings = Settings(ami_nodes="pbx1=127.0.0.1:5038, pbx2=10.0.0.2:5039")
    assert settings.ami_node_list() == [("pbx1", "127.0.0.1", 5038), ("pbx2", "10.0.0.2", 5039)]
    assert "10.0.0.2" in settings.fastagi_peers()
    for bad in ("pbx1=127.0.0.1", "=127.0.0.1:5038", "pbx1=127.0.0.1:99999", "p=h:1,p=h:2"):
        with pytest.raises(ValueError, match="HOTLINE_AMI_NODES"):
            Settings(ami_nodes=bad).ami_node_list()


async def test_given_node_a_reconnects_then_it_is_told_every_logged_in_agents_phone(cluster: Cluster) -> None:
    cluster.core.login("1001")
    cluster.core.login("1002", ready=False)
    await cluster.core.settle()
    before = len(cluster.a.frames_for("DBPut"))

    await cluster.a.stop()
    await cluster.a.start()
    await FakeAmi.wait_until(lambda: len(cluster.a.frames_for("DBPut")) >= before + 2)

    contacts = {
        frame_get(f, "Key"): frame_get(f, "Val")
        for f in cluster.a.frames_for("DBPut")[before:]
        if frame_get(f, "Family") == "hotline/contact"
    }
    assert contacts == {"1001": "PJSIP/1001", "1002": "PJSIP/1002"}


async def test_given_one_channel_name_live_on_both_nodes_when_acted_on_by_name_then_refused_not_guessed(
    cluster: Cluster,
) -> None:
    name = "PJSIP/kamailio-00000001"
    await cluster.a.push(f"Event: Newchannel\r\nChannel: {name}\r\nUniqueid: a-1700000001.1\r\n\r\n")
    await cluster.b.push(f"Event: Newchannel\r\nChannel: {name}\r\nUniqueid: b-1700000001.1\r\n\r\n")
    await FakeAmi.wait_until(lambda: cluster.pbx.node_of("b-1700000001.1") == "b")

    with pytest.raises(AmiError) as refused:
        await cluster.pbx.send_action({"Action": "Hangup", "Channel": name})
    await cluster.pbx.send_action({"Action": "DBPut", "Family": "x", "Key": "y", "Val": "z"})
    await cluster.pbx.send_action({"Action": "Ping", "Channel": "b-1700000001.1"})

    assert refused.value.error_id == "ami.ambiguous_channel"
    assert cluster.a.frames_for("Hangup") == []
    assert cluster.b.frames_for("Hangup") == []
    assert [frame_get(f, "Channel") for f in cluster.b.frames_for("Ping")][-1:] == ["b-1700000001.1"]
    await cluster.a.push(f"Event: Hangup\r\nChannel: {name}\r\nUniqueid: a-1700000001.1\r\n\r\n")
    await FakeAmi.wait_until(lambda: cluster.pbx.node_of(name) == "b")
