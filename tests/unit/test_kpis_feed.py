"""The live ``queue_kpis`` feed: today's figures from the same functions as the API, sent by the hub to
supervisors and admins only, every interval and soon after a desktop connects."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from agent_desktop.auth import Principal, Role
from agent_desktop.hub import Connection, DesktopHub
from hotline.bus import BusEvent, EventBus
from hotline.db.engine import make_engine, migrate, session_factory
from supervisor.kpi_feed import TOPIC, KpiFeed
from supervisor.kpis import KpiSettings, kpis_dict, per_queue_kpis
from tests.integration.desktop import schema_violations
from tests.kpis_contract import HOUR, T0, add_known_day

pytestmark = pytest.mark.timeout(30)

NOW = T0 + HOUR  # 11:00 Beijing: today began 11 hours ago


@pytest.fixture
def sm(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    """A migrated SQLite file holding the known day."""
    url = f"sqlite:///{tmp_path / 'kpis.db'}"
    migrate(url)
    engine = make_engine(url)
    sessions = session_factory(engine)
    with sessions() as s:
        add_known_day(s)
    yield sessions
    engine.dispose()


def _feed(sm: sessionmaker[Session], bus: EventBus, interval_s: float = 10.0) -> KpiFeed:
    return KpiFeed(
        bus=bus,
        sessions=sm,
        queues=lambda: ["general", "tax"],
        settings=KpiSettings(),
        interval_s=interval_s,
        clock=NOW.timestamp,
    )


def test_the_frame_holds_todays_queues_agents_and_quarter_hours(sm: sessionmaker[Session]) -> None:
    frame = _feed(sm, EventBus()).compute()
    assert [q["queue"] for q in frame["queues"]] == ["general", "hotline-fallback", "tax"]
    assert frame["queues"][2]["offered"] == 0
    with sm() as s:
        same = per_queue_kpis(s, start=T0 - 10 * HOUR, end=NOW, now=NOW)
    assert frame["queues"][:2] == [kpis_dict(k) for k in same]
    assert [a["agent_id"] for a in frame["agents"]] == ["a1", "a2"]
    assert len(frame["intervals"]) == 44
    assert frame["intervals"][40]["offered"] == 9
    assert frame["at"] == NOW.timestamp()


class Socket:
    """Collects the frames written to it."""

    def __init__(self) -> None:
        self.frames: list[dict[str, object]] = []

    async def send_text(self, text: str) -> None:
        self.frames.append(json.loads(text))


async def test_the_hub_sends_this_nodes_frames_to_supervisors_only(sm: sessionmaker[Session]) -> None:
    bus = EventBus()
    hub = DesktopHub(bus)
    agent_socket, sup_socket = Socket(), Socket()
    conns = [
        Connection(Principal("1001", Role.AGENT, 1e12), agent_socket.send_text, maxsize=10),
        Connection(Principal("s1", Role.SUPERVISOR, 1e12), sup_socket.send_text, maxsize=10),
    ]
    writers = [asyncio.create_task(c.run_writer()) for c in conns]
    for c in conns:
        hub.add(c)
    sub = bus.subscribe(TOPIC)
    assert await _feed(sm, bus).publish()
    event = await sub.get()
    hub.route(event)
    hub.route(BusEvent(TOPIC, event.data, origin="app-2"))
    await asyncio.sleep(0.01)
    assert [f["type"] for f in sup_socket.frames] == ["queue_kpis"]
    assert sup_socket.frames[0]["data"]["queues"][0]["queue"] == "general"  # type: ignore[index]
    assert agent_socket.frames == []
    assert schema_violations(sup_socket.frames[0], "server_frame") == []  # strict: every field named
    for w in writers:
        w.cancel()
    await asyncio.gather(*writers, return_exceptions=True)


async def test_a_desktop_connecting_gets_a_frame_without_waiting_for_the_interval(
    sm: sessionmaker[Session],
) -> None:
    bus = EventBus()
    sub = bus.subscribe(TOPIC)
    feed = _feed(sm, bus, interval_s=60.0)
    task = asyncio.create_task(feed.run())
    try:
        await asyncio.wait_for(sub.get(), 10)
        feed.someone_joined("s1", 1)
        await asyncio.wait_for(sub.get(), 5)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
