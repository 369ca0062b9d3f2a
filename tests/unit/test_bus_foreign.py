"""Events relayed from other nodes reach only the subscribers that ask for them; desktops resync on gaps."""

from __future__ import annotations

import asyncio
import json

import pytest

from agent_desktop.auth import Principal, Role
from agent_desktop.hub import Connection, DesktopHub
from hotline.bus import RELAY_GAP, BusEvent, EventBus
from hotline.bus_relay import relayed


async def test_given_local_and_foreign_subscribers_when_foreign_event_then_only_foreign_one_gets_it() -> None:
    bus = EventBus()
    local = bus.subscribe("agent.")
    everything = bus.subscribe("agent.", foreign=True)
    bus.deliver_foreign(BusEvent("agent.changed", {"n": 1}, origin="node-b"))
    bus.publish("agent.changed", {"n": 2})
    assert (await local.get()).data["n"] == 2
    first, second = await everything.get(), await everything.get()
    assert (first.origin, first.data["n"]) == ("node-b", 1)
    assert (second.origin, second.data["n"]) == ("", 2)


def test_given_event_without_origin_when_delivered_as_foreign_then_refused() -> None:
    with pytest.raises(ValueError, match="must name the node"):
        EventBus().deliver_foreign(BusEvent("agent.changed", {}))


@pytest.mark.parametrize(
    ("topic", "expected"),
    [
        ("agent.changed", True),
        ("agent.offer", True),
        ("call.changed", True),
        ("call.ivr_started", True),
        ("queue.changed", True),
        ("call.fallback", False),
        ("call.fallback_answered", False),
        ("bus.overflow", False),
        (RELAY_GAP, False),
        ("ticket.created", False),
    ],
)
def test_relayed_topics(topic: str, expected: bool) -> None:
    assert relayed(topic) is expected


class Socket:
    """Collects the frames written to it."""

    def __init__(self) -> None:
        self.frames: list[dict[str, object]] = []

    async def send_text(self, text: str) -> None:
        self.frames.append(json.loads(text))


async def test_given_desktops_when_foreign_events_and_gap_then_routed_and_resync_requested() -> None:
    bus = EventBus()
    hub = DesktopHub(bus)
    socket = Socket()
    conn = Connection(Principal(user_id="1001", role=Role.AGENT, expires_at=1e12), socket.send_text)
    hub.add(conn)
    tasks = [asyncio.create_task(hub.run()), asyncio.create_task(conn.run_writer())]
    await asyncio.sleep(0)
    bus.deliver_foreign(BusEvent("agent.offer", {"agent_id": "1001", "call_id": "c1"}, origin="b"))
    bus.deliver_foreign(BusEvent("agent.changed", {"agent_id": "1001", "state": "offered"}, origin="b"))
    bus.deliver_foreign(BusEvent(RELAY_GAP, {"node": "b", "reason": "reconnected"}, origin="b"))
    for _ in range(20):
        await asyncio.sleep(0)
    assert [f["type"] for f in socket.frames] == ["agent_changed", "resync_needed"]
    assert socket.frames[-1]["dropped"] == 0
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def test_given_presence_listener_when_desktops_open_and_close_then_told_each_count() -> None:
    hub = DesktopHub(EventBus())
    seen: list[tuple[str, int]] = []
    hub.watch_presence(lambda user, count: seen.append((user, count)))
    one, two = (
        Connection(Principal(user_id="1001", role=Role.AGENT, expires_at=1e12), Socket().send_text)
        for _ in range(2)
    )
    hub.add(one)
    hub.add(two)
    hub.remove(one)
    hub.remove(one)
    hub.remove(two)
    assert seen == [("1001", 1), ("1001", 2), ("1001", 1), ("1001", 0)]
    assert list(hub.users()) == []
