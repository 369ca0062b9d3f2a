"""An ACD core on a real AMI socket for race tests: AmiClient, AcdService, AmiConsumer, in-memory store.

``AcdCore.settle()`` makes a test deterministic: it returns once every byte the server pushed before it
has been read and handled (a Ping round trip: the server answers in order) and the service has no
offer or action task left running.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from acd.ami_consume import AmiConsumer
from acd.engine import AcdEngine
from acd.events import AgentLoggedIn, AgentReady
from acd.queue_config import default_queue_configs
from acd.service import AcdService
from acd.store import MemoryStore
from hotline.ami.client import AmiClient
from hotline.bus import BusEvent, EventBus
from tests.unit.ami_fake_server import FakeAmi, Frame, frame_get


class RecordingBus(EventBus):
    """The real bus, keeping every published event for assertions."""

    def __init__(self) -> None:
        super().__init__()
        self.published: list[BusEvent] = []

    def publish(self, topic: str, data: Mapping[str, Any]) -> BusEvent:
        """Publish and keep a copy."""
        event = super().publish(topic, data)
        self.published.append(event)
        return event

    def topics(self, topic: str) -> list[Mapping[str, Any]]:
        """The data of every event published under ``topic``."""
        return [e.data for e in self.published if e.topic == topic]


class InstantDesktops:
    """Every agent has one desktop that takes the screen-pop at once."""

    async def deliver_offer(self, agent_id: str, payload: dict[str, object]) -> int:
        """Delivered to one desktop."""
        return 1


def ami_frame(**headers: str) -> str:
    """One AMI frame on the wire."""
    return "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"


def queued(call_id: str, *, caller: str = "13800138000", queue: str = "general") -> str:
    """A caller's channel appearing and the hold loop reporting them queued."""
    channel = f"PJSIP/trunk-{call_id}"
    return ami_frame(Event="Newchannel", Channel=channel, Uniqueid=call_id, CallerIDNum=caller) + ami_frame(
        Event="UserEvent",
        UserEvent="HotlineQueued",
        Channel=channel,
        Uniqueid=call_id,
        CallerIDNum=caller,
        Queue=queue,
    )


def hangup(uniqueid: str, channel: str = "") -> str:
    """A channel hanging up."""
    return ami_frame(Event="Hangup", Channel=channel or f"PJSIP/x-{uniqueid}", Uniqueid=uniqueid, Cause="16")


@dataclass
class AcdCore:
    """The pieces of one core, for assertions."""

    server: FakeAmi
    ami: AmiClient
    bus: RecordingBus
    service: AcdService
    consumer: AmiConsumer
    contacts: dict[str, str] = field(default_factory=dict)

    def login(self, agent_id: str, *, ready: bool = True) -> None:
        """An agent logs in with the general skill (and becomes available)."""
        contact = f"PJSIP/{agent_id}"
        self.contacts[agent_id] = contact
        self.service.submit(AgentLoggedIn(agent_id=agent_id, contact=contact, skills={"general": 1}))
        if ready:
            self.service.submit(AgentReady(agent_id=agent_id))

    async def settle(self) -> None:
        """Wait until everything pushed so far is handled and no service task runs."""
        for _ in range(200):
            await self.ami.send_action({"Action": "Ping"})
            if await self.settle_tasks():
                return
        raise AssertionError("the ACD service did not settle")

    async def settle_tasks(self) -> bool:
        """Wait (bounded) for the service's and the AMI client's running tasks; True if there were none."""
        for _ in range(50):
            tasks = [t for t in (*self.service._tasks, *self.ami._tasks) if not t.done()]
            if not tasks:
                return True
            await asyncio.wait(tasks, timeout=1.0)
        return False

    def actions(self, name: str) -> list[Frame]:
        """Actions of one kind the server received (Ping excluded by asking for it explicitly)."""
        return self.server.frames_for(name)

    def originates_for(self, call_id: str) -> list[Frame]:
        """Originate actions that ring an agent for ``call_id``."""
        return [f for f in self.actions("Originate") if f"HOTLINE_CALL_ID={call_id}" in _variables(f)]

    def pause_reasons(self, agent_id: str) -> list[str]:
        """Every pause reason the system gave the agent after their login, in order."""
        return [
            str(d["pause_reason"])
            for d in self.bus.topics("agent.changed")
            if d["agent_id"] == agent_id
            and d["status"] == "paused"
            and d["pause_reason"] not in ("", "login")
        ]

    def ended(self) -> dict[str, str]:
        """Calls that ended, with the reason."""
        return {
            str(d["call_id"]): str(d["reason"])
            for d in self.bus.topics("call.changed")
            if d["state"] == "ended"
        }


def _variables(frame: Frame) -> list[str]:
    return [v for k, v in frame if k.lower() == "variable"]


def leg_id_of(frame: Frame) -> str:
    """The agent leg's id (its ChannelId) in an Originate action."""
    return frame_get(frame, "ChannelId")


async def start_core(*, server: FakeAmi | None = None, ring_timeout_s: float = 60.0) -> AcdCore:
    """A core on ``server`` (a fresh FakeAmi by default), logged in; the first resync has run."""
    if server is None:
        server = FakeAmi()
        server.transcripts["coreshowchannels"] = channel_list([])
    await server.start()
    ami = AmiClient(
        host="127.0.0.1", port=server.port, username="hotline", secret=server.secret, reconnect_delay=0.01
    )
    bus = RecordingBus()
    engine = AcdEngine(queues=default_queue_configs(default_wrapup_s=30), store=MemoryStore())
    service = AcdService(
        engine=engine, ami=ami, bus=bus, notifier=InstantDesktops(), ring_timeout_s=ring_timeout_s
    )
    consumer = AmiConsumer(ami=ami, service=service, bus=bus)
    consumer.install()
    await ami.start(connect_timeout=3.0)
    core = AcdCore(server, ami, bus, service, consumer)
    await FakeAmi.wait_until(lambda: bool(server.frames_for("CoreShowChannels")))
    await core.settle()
    return core


async def stop_core(core: AcdCore) -> None:
    """Close everything the core opened."""
    await core.service.close()
    await core.ami.close()
    await core.server.stop()


def channel_list(uniqueids: list[str], *, then: str = "") -> str:
    """A CoreShowChannels reply listing ``uniqueids``; ``then`` follows the list's end in the same write."""
    items = "".join(
        ami_frame(
            Event="CoreShowChannel",
            ActionID="{action_id}",
            Channel=f"PJSIP/x-{uid}",
            Uniqueid=uid,
            ChannelStateDesc="Up",
        )
        for uid in uniqueids
    )
    head = (
        "Response: Success\r\nActionID: {action_id}\r\nEventList: start\r\n"
        "Message: Channels will follow\r\n\r\n"
    )
    tail = ami_frame(
        Event="CoreShowChannelsComplete",
        ActionID="{action_id}",
        EventList="Complete",
        ListItems=str(len(uniqueids)),
    )
    return head + items + tail + then.replace("{", "{{").replace("}", "}}")
