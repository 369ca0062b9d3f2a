"""A real centre core (ACD service, AMI consumer, call control, hub and the websocket endpoint, on a
scripted AMI server) emits only desktop frames that validate against the protocol's JSON Schema, in strict
mode (no field the schema does not name); the test desktop fails clearly on a frame the schema refuses."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
import uvicorn
from sqlalchemy.orm import Session, sessionmaker

from acd.ami_consume import AmiConsumer
from acd.engine import AcdEngine
from acd.events import AgentLoggedIn, PositionQuery
from acd.queue_config import default_queue_configs
from acd.service import AcdService
from acd.store import MemoryStore
from agent_desktop.auth import Principal, Role, TokenStore
from agent_desktop.call_control import CallControl
from agent_desktop.context import DesktopContext
from agent_desktop.hub import Connection, DesktopHub
from agent_desktop.service import DesktopService
from hotline.ami.client import AmiClient
from hotline.bus import BusEvent, EventBus
from hotline.http import build_http_app
from tests.integration.desktop import DesktopClient, Frame, frame_of, schema_violations
from tests.unit.ami_fake_server import FakeAmi

pytestmark = pytest.mark.timeout(60)


# --- frames a running core emits ------------------------------------------------------------------


@dataclass
class Core:
    """ACD service, AMI consumer, call control, hub and HTTP/websocket app on a scripted AMI server."""

    ami_server: FakeAmi
    bus: EventBus
    service: AcdService
    control: CallControl
    tokens: TokenStore
    url: str

    async def push(self, **headers: str) -> None:
        """An AMI event from 'Asterisk'."""
        await self.ami_server.push("".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n")

    async def desktop(self, user_id: str, role: Role) -> DesktopClient:
        """A connected desktop of ``user_id`` that has had its hello."""
        client = DesktopClient(self.url)
        client.token = self.tokens.issue(user_id, role)
        await client.connect()
        await client.wait_frame(frame_of("hello"), timeout=5)
        return client


@pytest.fixture
async def core() -> AsyncIterator[Core]:
    ami_server = FakeAmi()
    ami_server.transcripts["setvar"] = (
        "Response: Success\r\nActionID: {action_id}\r\nMessage: Variable Set\r\n\r\n"
    )
    ami_server.transcripts["redirect"] = (
        "Response: Success\r\nActionID: {action_id}\r\nMessage: Redirect successful\r\n\r\n"
    )
    await ami_server.start()
    ami = AmiClient(host="127.0.0.1", port=ami_server.port, username="hotline", secret=ami_server.secret)
    await ami.start(connect_timeout=3.0)
    bus = EventBus()
    hub = DesktopHub(bus)
    engine = AcdEngine(queues=default_queue_configs(default_wrapup_s=30), store=MemoryStore())
    service = AcdService(engine=engine, ami=ami, bus=bus, notifier=hub, ring_timeout_s=20)
    AmiConsumer(ami=ami, service=service, bus=bus).install()
    control = CallControl(
        acd=service, ami=ami, bus=bus, external_dial="", transferred_priority=5, queues=set(engine.queues)
    )
    tokens = TokenStore()
    unused_db: sessionmaker[Session] = sessionmaker()  # agents here are logged in: no lookups
    ctx = DesktopContext(
        sessions=unused_db,
        tokens=tokens,
        hub=hub,
        desktop=DesktopService(acd=service, sessions=unused_db),
        acd=service,
    )
    config = uvicorn.Config(
        build_http_app(ctx),
        host="127.0.0.1",
        port=0,
        ws="websockets-sansio",
        log_level="warning",
        lifespan="off",
    )
    server = uvicorn.Server(config)
    tasks = [asyncio.create_task(hub.run()), asyncio.create_task(server.serve())]
    while not server.started:
        assert not tasks[1].done(), "the HTTP server stopped during start-up"
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield Core(ami_server, bus, service, control, tokens, f"http://127.0.0.1:{port}")
    server.should_exit = True
    await tasks[1]
    tasks[0].cancel()
    await asyncio.gather(tasks[0], return_exceptions=True)
    await service.close()
    await ami.close()
    await ami_server.stop()


async def test_given_a_running_core_when_calls_flow_then_every_frame_sent_validates(core: Core) -> None:
    core.service.submit(
        AgentLoggedIn(agent_id="1001", contact="PJSIP/1001", skills={"general": 1, "enterprise": 1})
    )
    agent = await core.desktop("1001", Role.AGENT)
    supervisor = await core.desktop("s1", Role.SUPERVISOR)
    try:
        await agent.send({"v": 1, "type": "ping", "id": "p1"})
        await agent.wait_frame(frame_of("pong", reply_to="p1"))
        await agent.send({"type": "status", "status": "paused", "reason": "就餐", "id": "s1"})
        await agent.wait_frame(frame_of("status_ok", reply_to="s1"))
        await agent.send({"type": "status", "status": "available", "id": "s2"})
        await agent.wait_frame(frame_of("status_ok", reply_to="s2"))
        for bad in ("not json", '{"type":"launch_missiles"}', '{"v":2,"type":"ping"}', "[]"):
            await agent.send(bad)
        await agent.wait_frame(frame_of("error", error_id="unsupported_version"))

        first = "1763900000.1"
        await core.push(
            Event="UserEvent", UserEvent="HotlineQueued", Uniqueid=first, Queue="enterprise",
            CallerIDNum="13800138000", Channel="PJSIP/trunk-00000001", Keys="3", FlowVersion="12345:3",
            Tags="confidential",
        )  # fmt: skip
        _, offer = await agent.wait_frame(frame_of("offer"))
        assert (offer["call"]["caller"], offer["call"].get("masked")) == ("138****8000", True)
        leg_id = core.service.leg_of_call[first]
        await core.push(Event="Newchannel", Uniqueid=leg_id, Channel="PJSIP/1001-00000002")
        await core.push(Event="OriginateResponse", ActionID=leg_id, Response="Success")
        await core.push(Event="BridgeEnter", Uniqueid=leg_id, Channel="PJSIP/1001-00000002")
        await agent.wait_frame(frame_of("agent_changed", state="on_call"))
        await agent.send({"type": "status", "status": "logged_out", "id": "out"})
        await agent.wait_frame(frame_of("error", reply_to="out"))
        await agent.send({"type": "sync"})
        _, hello = await agent.wait_frame(lambda f: f["type"] == "hello" and f["agent"]["call"] is not None)
        assert hello["agent"]["call"]["masked"] is True

        second = "1763900000.2"
        await core.push(
            Event="UserEvent", UserEvent="HotlineQueued", Uniqueid=second, Queue="general",
            CallerIDNum="13900139000", Channel="PJSIP/trunk-00000003", Keys="0", FlowVersion="12345:3",
            Tags="",
        )  # fmt: skip
        await supervisor.wait_frame(frame_of("call_changed", call_id=second, state="waiting"))
        core.service.submit(PositionQuery(call_id=second))
        await core.control.transfer_to_queue("1001", "general")
        await agent.wait_frame(frame_of("agent_changed", state="wrap_up"))

        await core.push(
            Event="UserEvent", UserEvent="HotlineFallback", Uniqueid=second, CallerIDNum="13900139000",
            Channel="PJSIP/trunk-00000003", Reason="max_wait",
        )  # fmt: skip
        await core.push(
            Event="AgentConnect", Queue="hotline-fallback", Uniqueid=second, Interface="PJSIP/7001",
            HoldTime="4",
        )  # fmt: skip
        await core.push(Event="Hangup", Uniqueid=second)
        await supervisor.wait_frame(frame_of("call_fallback_ended", call_id=second))
    finally:
        await agent.close()
        await supervisor.close()

    agent_types = {f["type"] for _, f in agent.frames}
    supervisor_types = {f["type"] for _, f in supervisor.frames}
    assert {"hello", "pong", "status_ok", "error", "offer", "agent_changed", "call_changed"} <= agent_types
    assert "queue_changed" not in agent_types
    assert {
        "hello",
        "agent_changed",
        "call_changed",
        "queue_changed",
        "call_position",
        "call_transferred",
        "call_fallback",
        "call_fallback_answered",
        "call_fallback_ended",
    } <= supervisor_types
    errors = {f["error_id"] for _, f in agent.frames if f["type"] == "error"}
    assert errors == {"invalid_json", "invalid_frame", "unsupported_version", "illegal_transition"}


class Socket:
    """Collects the frames a connection writes."""

    def __init__(self) -> None:
        self.frames: list[Frame] = []

    async def send_text(self, text: str) -> None:
        self.frames.append(json.loads(text))


async def test_given_a_stalled_connection_when_it_overflows_then_the_resync_frame_validates() -> None:
    hub = DesktopHub(EventBus())
    socket = Socket()
    conn = Connection(
        Principal(user_id="s1", role=Role.SUPERVISOR, expires_at=1e12), socket.send_text, maxsize=4
    )
    hub.add(conn)
    for n in range(10):
        data = {"queue": "general", "waiting": n, "available_agents": 0, "at": 1.0 + n}
        hub.route(BusEvent("queue.changed", data))
    writer = asyncio.create_task(conn.run_writer())
    await asyncio.sleep(0.01)
    writer.cancel()
    await asyncio.gather(writer, return_exceptions=True)
    assert "resync_needed" in {f["type"] for f in socket.frames}
    assert [p for f in socket.frames for p in schema_violations(f)] == []


async def test_given_a_desktop_receiving_a_frame_the_schema_refuses_when_waiting_then_it_fails_clearly(
    core: Core,
) -> None:
    """The integration tests' desktop fails on the first frame that breaks the schema."""
    client = await core.desktop("s2", Role.SUPERVISOR)
    core.bus.publish("call.changed", {"call_id": "x", "state": "teleported"})
    with pytest.raises(AssertionError, match=r"protocol\.schema\.json") as info:
        await client.wait_frame(frame_of("never"), timeout=5)
    assert "data/state" in str(info.value)
    await client.wait_frame(frame_of("hello"), timeout=1)  # reported once; the desktop goes on
    core.bus.publish(
        "queue.changed", {"queue": "general", "waiting": "many", "available_agents": 0, "at": 1.0}
    )
    await FakeAmi.wait_until(lambda: len(client.violations) == 2)
    with pytest.raises(AssertionError, match=r"(?s)queue_changed.*data/waiting"):
        await client.close()
