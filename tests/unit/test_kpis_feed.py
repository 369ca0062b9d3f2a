"""The live ``queue_kpis`` feed: today's figures from the same functions as the API, sent by the hub to
supervisors and admins only, every interval and soon after a desktop connects; each supervisor's own
queues and agents; split into parts under the protocol's 64 KiB."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from agent_desktop.auth import Principal, Role
from agent_desktop.hub import Connection, DesktopHub
from agent_desktop.protocol import MAX_FRAME_BYTES
from hotline.bus import BusEvent, EventBus
from hotline.db.agents import upsert_agent
from hotline.db.engine import make_engine, migrate, session_factory
from hotline.db.models import AgentStateLog
from supervisor import store
from supervisor.kpi_feed import AGENTS_PER_PART, CHART_STEP, TOPIC, KpiFeed, kpis_frame
from supervisor.kpi_scope import scope_resolver
from supervisor.kpis import KpiSettings, kpis_dict, per_queue_kpis, queue_kpis
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


ADMIN = Principal("admin", Role.ADMIN, 1e12)
SUP = Principal("s1", Role.SUPERVISOR, 1e12)
SKILLS = {"general": "general", "tax": "tax"}


def _feed(
    sm: sessionmaker[Session],
    bus: EventBus,
    interval_s: float = 10.0,
    viewers: tuple[Principal, ...] = (ADMIN,),
    clock: list[float] | None = None,
) -> KpiFeed:
    now = clock or [NOW.timestamp()]
    return KpiFeed(
        bus=bus,
        sessions=sm,
        queues=lambda: ["general", "tax"],
        settings=KpiSettings(),
        viewers=lambda: viewers,
        scope_of=scope_resolver(sm, lambda: SKILLS),
        interval_s=interval_s,
        clock=lambda: now[0],
    )


def test_the_frame_holds_todays_queues_agents_and_quarter_hours(sm: sessionmaker[Session]) -> None:
    with sm() as s:
        frame = kpis_frame(s, now=NOW, queues=["general", "tax"], settings=KpiSettings())
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
        self.frames: list[dict[str, Any]] = []

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
    assert hub.supervising() == [conns[1].principal]
    assert await _feed(sm, bus, viewers=tuple(hub.supervising())).publish()
    while sub.pending:
        event = await sub.get()
        hub.route(event)
        hub.route(BusEvent(TOPIC, event.data, origin="app-2"))
    await asyncio.sleep(0.01)
    assert [(f["type"], f["data"]["part"], f["data"]["parts"]) for f in sup_socket.frames] == [
        ("queue_kpis", 1, 1)
    ]
    data = sup_socket.frames[0]["data"]  # s1 supervises no queue: nothing of anyone's
    assert (data["queues"], data["agents"], data["complete"]) == ([], [], True)
    assert {i["offered"] for i in data["intervals"]} == {0}
    assert agent_socket.frames == []
    for frame in sup_socket.frames:
        assert schema_violations(frame, "server_frame") == []  # strict: every field named
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


def _frames(feed: KpiFeed) -> dict[str, list[dict[str, Any]]]:
    """The publications of one tick, by user id."""
    out: dict[str, list[dict[str, Any]]] = {}
    for to, frames in feed.compute():
        for user in to:
            out[user] = frames
    return out


def _supervise_tax(sm: sessionmaker[Session]) -> None:
    """s1 supervises tax only; a2 serves tax, a1 general."""
    store.set_queues(sm, supervisor_id="s1", queues=["tax"])
    upsert_agent(sm, agent_id="a1", name="a1", contact="", skills={"general": 1})
    upsert_agent(sm, agent_id="a2", name="a2", contact="", skills={"general": 1, "tax": 2})


def test_a_supervisor_gets_only_their_queues_and_the_agents_serving_them(sm: sessionmaker[Session]) -> None:
    _supervise_tax(sm)
    got = _frames(_feed(sm, EventBus(), viewers=(ADMIN, SUP)))
    admin, sup = got["admin"], got["s1"]
    assert [q["queue"] for q in admin[0]["queues"]] == ["general", "hotline-fallback", "tax"]
    assert [a["agent_id"] for f in admin for a in f["agents"]] == ["a1", "a2"]
    assert admin[0]["intervals"][40]["offered"] == 9
    assert [q["queue"] for q in sup[0]["queues"]] == ["tax"]
    assert [a["agent_id"] for f in sup for a in f["agents"]] == ["a2"]
    assert [i["offered"] for i in sup[0]["intervals"]] == [0] * 44  # no tax calls today
    with sm() as s:
        tax = queue_kpis(s, start=T0 - 10 * HOUR, end=NOW, interval=CHART_STEP, now=NOW, queues=["tax"])
    assert sup[0]["intervals"] == [kpis_dict(k) for k in tax]


async def test_the_hub_gives_each_supervisor_their_own_frames(sm: sessionmaker[Session]) -> None:
    _supervise_tax(sm)
    bus = EventBus()
    hub = DesktopHub(bus)
    sockets = {"admin": Socket(), "s1": Socket(), "s2": Socket()}
    conns = [
        Connection(ADMIN, sockets["admin"].send_text, maxsize=10),
        Connection(SUP, sockets["s1"].send_text, maxsize=10),
        Connection(Principal("s2", Role.SUPERVISOR, 1e12), sockets["s2"].send_text, maxsize=10),
    ]
    writers = [asyncio.create_task(c.run_writer()) for c in conns]
    for c in conns:
        hub.add(c)
    sub = bus.subscribe(TOPIC)
    feed = _feed(sm, bus, viewers=tuple(hub.supervising()))
    assert await feed.publish()
    while sub.pending:
        hub.route(await sub.get())
    await asyncio.sleep(0.01)
    data = {u: [f["data"] for f in sock.frames] for u, sock in sockets.items()}
    queues = {u: [q["queue"] for d in ds if d["part"] == 1 for q in d["queues"]] for u, ds in data.items()}
    agents = {u: [a["agent_id"] for d in ds for a in d["agents"]] for u, ds in data.items()}
    assert queues == {"admin": ["general", "hotline-fallback", "tax"], "s1": ["tax"], "s2": []}
    assert agents == {"admin": ["a1", "a2"], "s1": ["a2"], "s2": []}
    for w in writers:
        w.cancel()
    await asyncio.gather(*writers, return_exceptions=True)


def test_two_thousand_agents_go_in_parts_under_64_kib_and_at_a_lower_rate(sm: sessionmaker[Session]) -> None:
    with sm.begin() as s:
        for n in range(2000):
            agent = f"x{n:04d}"
            s.add(
                AgentStateLog(
                    agent_id=agent, at=NOW - HOUR, status="paused", state="idle", pause_reason="login"
                )
            )
            s.add(AgentStateLog(agent_id=agent, at=NOW - HOUR / 2, status="available", state="idle"))
            s.add(
                AgentStateLog(
                    agent_id=agent, at=NOW - HOUR / 4, status="paused", state="idle", pause_reason="小休"
                )
            )
    clock = [NOW.timestamp()]
    feed = _feed(sm, EventBus(), clock=clock)
    (frames,) = _frames(feed).values()
    sizes = [
        len(json.dumps({"v": 1, "type": "queue_kpis", "data": f}, ensure_ascii=False).encode())
        for f in frames
    ]
    assert max(sizes) < MAX_FRAME_BYTES, sizes
    assert sum(sizes) > 500_000  # one frame would have been far over the limit
    assert [f["part"] for f in frames] == list(range(1, len(frames) + 1))
    assert {f["parts"] for f in frames} == {len(frames)} == {1 + -(-2002 // AGENTS_PER_PART)}
    assert all(f["complete"] for f in frames)
    assert "queues" in frames[0]
    assert all("queues" not in f and "intervals" not in f for f in frames[1:])
    listed = [a["agent_id"] for f in frames for a in f["agents"]]
    assert len(listed) == len(set(listed)) == 2002
    for f in frames:
        assert schema_violations({"v": 1, "type": "queue_kpis", "data": f}, "server_frame") == []
    clock[0] += 10  # the next tick: queues and intervals, no agent's counts changed
    (frames,) = _frames(feed).values()
    assert [(f["part"], f["parts"], f["complete"], f["agents"]) for f in frames] == [(1, 1, False, [])]
    with sm.begin() as s:  # x0007 takes a call: only that agent goes out at the next tick
        s.add(AgentStateLog(agent_id="x0007", at=NOW, status="available", state="on_call", call_id="k1"))
    clock[0] += 10
    (frames,) = _frames(feed).values()
    assert [(f["part"], f["complete"]) for f in frames] == [(1, False), (2, False)]
    assert [(a["agent_id"], a["answered"]) for a in frames[1]["agents"]] == [("x0007", 1)]
    clock[0] += 60  # the complete list is due again
    (frames,) = _frames(feed).values()
    assert (frames[0]["complete"], len(frames)) == (True, len(listed) // AGENTS_PER_PART + 2)
    clock[0] += 1
    feed.someone_joined("s9", 1)  # a new desktop gets the complete list at once
    (frames,) = _frames(feed).values()
    assert (frames[0]["complete"], len(frames)) == (True, len(listed) // AGENTS_PER_PART + 2)


def test_nobody_watching_means_no_queries(sm: sessionmaker[Session]) -> None:
    assert _feed(sm, EventBus(), viewers=()).compute() == []
