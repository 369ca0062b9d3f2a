"""The hub sends live figures to supervisors only, and only the copy its own app node published."""

from __future__ import annotations

import asyncio
import json

from agent_desktop.auth import Principal, Role
from agent_desktop.hub import Connection, DesktopHub
from hotline.bus import BusEvent, EventBus

FIGURES = {"queues": [], "agents": [], "left": [], "complete": True, "part": 1, "parts": 1, "at": 1.0}


class Socket:
    """Collects the frames written to it."""

    def __init__(self) -> None:
        self.frames: list[dict[str, object]] = []

    async def send_text(self, text: str) -> None:
        self.frames.append(json.loads(text))


async def test_given_figures_from_this_node_and_relayed_ones_then_only_this_nodes_reach_supervisors() -> None:
    hub = DesktopHub(EventBus())
    agent_socket, sup_socket = Socket(), Socket()
    conns = [
        Connection(Principal("1001", Role.AGENT, 1e12), agent_socket.send_text, maxsize=10),
        Connection(Principal("s1", Role.SUPERVISOR, 1e12), sup_socket.send_text, maxsize=10),
    ]
    writers = [asyncio.create_task(c.run_writer()) for c in conns]
    for c in conns:
        hub.add(c)
    hub.route(BusEvent("queue.figures", {**FIGURES, "agents": [{"agent_id": "1001"}]}))
    hub.route(BusEvent("queue.figures", FIGURES, origin="app-2"))
    hub.route(BusEvent("agent.supervisor_action", {"agent_id": "1001", "action": "pause"}))
    await asyncio.sleep(0.01)
    assert [f["type"] for f in sup_socket.frames] == ["queue_figures", "agent_supervisor_action"]
    assert sup_socket.frames[0]["data"]["agents"] == [{"agent_id": "1001"}]  # type: ignore[index]
    assert [f["type"] for f in agent_socket.frames] == ["agent_supervisor_action"]
    for w in writers:
        w.cancel()
    await asyncio.gather(*writers, return_exceptions=True)
