"""Hub routing: agents see their own events on every tab, supervisors see all, slow sockets resync."""

from __future__ import annotations

import asyncio
import json

from agent_desktop.auth import Principal, Role
from agent_desktop.hub import Connection, DesktopHub
from hotline.bus import BusEvent, EventBus


class Socket:
    """Collects the frames written to it."""

    def __init__(self) -> None:
        self.frames: list[dict[str, object]] = []

    async def send_text(self, text: str) -> None:
        self.frames.append(json.loads(text))


def _conn(user: str, role: Role, socket: Socket, maxsize: int = 100) -> Connection:
    return Connection(Principal(user_id=user, role=role, expires_at=1e12), socket.send_text, maxsize=maxsize)


async def test_given_two_tabs_and_a_supervisor_when_agent_event_then_routed_to_all_three_only() -> None:
    hub = DesktopHub(EventBus())
    sockets = {name: Socket() for name in ("tab1", "tab2", "other", "sup")}
    conns = [
        _conn("1001", Role.AGENT, sockets["tab1"]),
        _conn("1001", Role.AGENT, sockets["tab2"]),
        _conn("1002", Role.AGENT, sockets["other"]),
        _conn("s1", Role.SUPERVISOR, sockets["sup"]),
    ]
    writers = [asyncio.create_task(c.run_writer()) for c in conns]
    for c in conns:
        hub.add(c)
    hub.route(BusEvent("agent.changed", {"agent_id": "1001", "state": "on_call"}))
    hub.route(BusEvent("queue.changed", {"queue": "general", "waiting": 3}))
    delivered = await hub.deliver_offer("1001", {"call_id": "c1"})
    await asyncio.sleep(0)
    assert delivered == 2
    assert [f["type"] for f in sockets["tab1"].frames] == ["agent_changed", "offer"]
    assert [f["type"] for f in sockets["tab2"].frames] == ["agent_changed", "offer"]
    assert sockets["other"].frames == []
    assert [f["type"] for f in sockets["sup"].frames] == ["agent_changed", "queue_changed"]
    for w in writers:
        w.cancel()
    await asyncio.gather(*writers, return_exceptions=True)


async def test_given_stalled_socket_when_queue_overflows_then_oldest_dropped_and_resync_requested() -> None:
    socket = Socket()
    conn = _conn("s1", Role.SUPERVISOR, socket, maxsize=4)
    for n in range(10):
        conn.enqueue(json.dumps({"type": "x", "n": n}))
    writer = asyncio.create_task(conn.run_writer())
    await asyncio.sleep(0.01)
    types = [f["type"] for f in socket.frames]
    assert "resync_needed" in types
    assert socket.frames[-1]["n"] == 9
    assert conn.dropped > 0
    writer.cancel()
    await asyncio.gather(writer, return_exceptions=True)


async def test_given_closed_connection_when_offer_delivered_then_not_counted() -> None:
    hub = DesktopHub(EventBus())
    conn = _conn("1001", Role.AGENT, Socket())
    hub.add(conn)
    conn.close()
    assert await hub.deliver_offer("1001", {"call_id": "c1"}) == 0


async def test_given_consult_event_then_agents_tabs_see_it_and_transfer_notice_only_supervisors() -> None:
    hub = DesktopHub(EventBus())
    tab, other, sup = Socket(), Socket(), Socket()
    conns = [
        _conn("1001", Role.AGENT, tab),
        _conn("1002", Role.AGENT, other),
        _conn("s1", Role.SUPERVISOR, sup),
    ]
    writers = [asyncio.create_task(c.run_writer()) for c in conns]
    for c in conns:
        hub.add(c)
    hub.route(BusEvent("call.consult", {"call_id": "c1", "agent_id": "1001", "phase": "started"}))
    hub.route(BusEvent("call.transferred", {"call_id": "c1", "kind": "attended", "target": "agent:1002"}))
    await asyncio.sleep(0)
    assert [f["type"] for f in tab.frames] == ["call_consult"]
    assert other.frames == []
    assert [f["type"] for f in sup.frames] == ["call_consult", "call_transferred"]
    for w in writers:
        w.cancel()
    await asyncio.gather(*writers, return_exceptions=True)
