"""The wallboard publishes from the ACD's change events: only the agents and calls they name are read,
a burst makes one frame, lost events bring a recomputation of everything."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

from acd.commands import AgentChanged, CallChanged
from acd.engine import AcdEngine
from acd.events import AcdEvent, AgentLoggedIn, AgentPaused, CallAbandoned, CallQueued
from acd.model import Agent, Call, QueueConfig
from acd.store import MemoryStore
from hotline.bus import RELAY_GAP, EventBus, Subscription
from supervisor.wallboard import Wallboard

NOW = 1000.0


class CountingStore(MemoryStore):
    """A memory store that counts the reads of the whole state."""

    def __init__(self) -> None:
        super().__init__()
        self.whole_reads = 0

    def iter_agents(self) -> Iterator[Agent]:
        self.whole_reads += 1
        return super().iter_agents()

    def iter_calls(self) -> Iterator[Call]:
        self.whole_reads += 1
        return super().iter_calls()


def _apply(engine: AcdEngine, bus: EventBus, event: AcdEvent) -> None:
    """Apply ``event`` and publish its changes as the ACD service does."""
    for command in engine.handle(event, NOW):
        if isinstance(command, AgentChanged):
            bus.publish("agent.changed", {"agent_id": command.agent_id, "status": str(command.status)})
        elif isinstance(command, CallChanged):
            bus.publish(
                "call.changed",
                {"call_id": command.call_id, "agent_id": command.agent_id, "queue": command.queue},
            )


def _centre(agents: int) -> tuple[AcdEngine, CountingStore, EventBus, Wallboard, Subscription]:
    store = CountingStore()
    engine = AcdEngine(queues=[QueueConfig(name="general", skill="general")], store=store)
    bus = EventBus()
    for n in range(agents):
        engine.handle(AgentLoggedIn(agent_id=f"a{n:04d}", contact="Local/x", skills={"general": 1}), NOW)
    board = Wallboard(engine=engine, bus=bus, clock=lambda: NOW)
    return engine, store, bus, board, bus.subscribe("queue.figures")


async def _frames(sub: Subscription) -> list[dict[str, Any]]:
    frames = []
    while sub.pending:
        frames.append(dict((await sub.get()).data))
    return frames


async def _note_all(board: Wallboard, sub: Subscription) -> None:
    while sub.pending:
        board.note(await sub.get())


async def test_given_a_published_centre_when_one_agent_pauses_then_only_that_agent_is_read_and_sent() -> None:
    engine, store, bus, board, out = _centre(300)
    changes = bus.subscribe("agent.", "call.")
    board.publish_if_changed()
    await _frames(out)
    store.whole_reads = 0
    _apply(engine, bus, AgentPaused(agent_id="a0042", reason="就餐"))
    await _note_all(board, changes)
    assert board.pending
    assert board.publish_changes() == 1
    (frame,) = await _frames(out)
    assert [a["agent_id"] for a in frame["agents"]] == ["a0042"]
    assert frame["agents"][0]["pause_reason"] == "就餐"
    assert frame["complete"] is False
    (general,) = frame["queues"]
    assert general["paused"] == {"login": 299, "就餐": 1}
    assert store.whole_reads == 0
    assert not board.pending
    assert board.publish_changes() == 0


async def test_given_calls_queue_and_one_abandons_then_the_waiting_figures_follow_without_a_whole_read() -> (
    None
):
    engine, store, bus, board, out = _centre(4)
    changes = bus.subscribe("agent.", "call.")
    board.publish_if_changed()
    await _frames(out)
    store.whole_reads = 0
    for n in range(3):
        _apply(engine, bus, CallQueued(call_id=f"c{n}", queue="general", caller="13800138000", channel="x"))
    await _note_all(board, changes)
    board.publish_changes()
    (frame,) = await _frames(out)
    (general,) = frame["queues"]
    assert general["waiting"] == 3
    assert general["estimated_wait_s"] == 180.0  # 4th in line, 4 agents, the default handle time
    _apply(engine, bus, CallAbandoned(call_id="c1"))
    await _note_all(board, changes)
    board.publish_changes()
    (frame,) = await _frames(out)
    assert frame["queues"][0]["waiting"] == 2
    assert store.whole_reads == 0


async def test_given_the_wallboard_runs_when_a_burst_of_changes_comes_then_one_frame_shows_them_all() -> None:
    engine, _, bus, board, out = _centre(200)
    task = asyncio.create_task(board.run())
    try:
        first = await asyncio.wait_for(out.get(), 5)
        assert first.data["complete"] is True
        while first.data["part"] < first.data["parts"]:
            first = await asyncio.wait_for(out.get(), 5)
        for n in range(0, 200, 10):
            _apply(engine, bus, AgentPaused(agent_id=f"a{n:04d}", reason="培训"))
        frame = (await asyncio.wait_for(out.get(), 5)).data
        assert [a["agent_id"] for a in frame["agents"]] == [f"a{n:04d}" for n in range(0, 200, 10)]
        assert frame["queues"][0]["paused"] == {"login": 180, "培训": 20}
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_given_a_change_no_event_named_when_relayed_events_were_lost_then_all_is_recomputed() -> None:
    engine, store, bus, board, out = _centre(5)
    task = asyncio.create_task(board.run())
    try:
        await asyncio.wait_for(out.get(), 5)
        engine.handle(AgentPaused(agent_id="a0003", reason="会议"), NOW)
        bus.publish(RELAY_GAP, {"dropped": 0})
        frame = (await asyncio.wait_for(out.get(), 5)).data
        assert [a["agent_id"] for a in frame["agents"]] == ["a0003"]
        assert frame["queues"][0]["paused"] == {"login": 4, "会议": 1}
        assert store.whole_reads >= 4
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_given_the_wallboard_runs_when_a_desktop_joins_later_then_a_complete_set_follows_soon() -> None:
    engine = AcdEngine(queues=[QueueConfig(name="general", skill="general")], store=MemoryStore())
    for n in range(3):
        engine.handle(AgentLoggedIn(agent_id=f"a{n}", contact="Local/x", skills={"general": 1}), NOW)
    bus, skew = EventBus(), [0.0]
    board = Wallboard(engine=engine, bus=bus, clock=lambda: NOW + skew[0])
    out = bus.subscribe("queue.figures")
    task = asyncio.create_task(board.run())
    try:
        assert (await asyncio.wait_for(out.get(), 5)).data["complete"] is True
        skew[0] = 60.0
        board.someone_joined("sup1", 1)
        frame = (await asyncio.wait_for(out.get(), 2.5)).data  # sooner than the 5 s recomputation
        assert frame["complete"] is True
        assert len(frame["agents"]) == 3
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_given_changes_no_event_named_when_catching_up_then_only_those_are_sent() -> None:
    engine, _, _, board, out = _centre(50)
    board.publish_if_changed()
    await _frames(out)
    assert board.catch_up() == 0
    engine.handle(AgentPaused(agent_id="a0010", reason="小休"), NOW)
    engine.handle(CallQueued(call_id="c1", queue="general", caller="13800138000", channel="x"), NOW)
    assert board.catch_up() == 1
    (frame,) = await _frames(out)
    assert [a["agent_id"] for a in frame["agents"]] == ["a0010"]
    assert frame["complete"] is False
    assert frame["queues"][0]["waiting"] == 1
    assert frame["queues"][0]["paused"] == {"login": 49, "小休": 1}
    assert board.catch_up() == 0


async def test_given_the_wallboard_runs_when_a_change_no_event_named_happens_then_the_catch_up_sends_it() -> (
    None
):
    engine, _, bus, _, out = _centre(30)
    board = Wallboard(engine=engine, bus=bus, clock=lambda: NOW, reconcile_s=0.05)
    task = asyncio.create_task(board.run())
    try:
        await asyncio.wait_for(out.get(), 5)
        engine.handle(AgentPaused(agent_id="a0007", reason="会议"), NOW)
        frame = (await asyncio.wait_for(out.get(), 5)).data
        assert [a["agent_id"] for a in frame["agents"]] == ["a0007"]
        assert frame["complete"] is False
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


class FailingOnce(MemoryStore):
    """A memory store whose next agent read fails (as a shared store that is briefly unreachable)."""

    fail = False

    def get_agent(self, agent_id: str) -> Agent | None:
        if self.fail:
            self.fail = False
            raise ConnectionError("store unreachable")
        return super().get_agent(agent_id)


async def test_given_a_store_read_fails_when_publishing_then_the_wallboard_goes_on_and_recomputes() -> None:
    store = FailingOnce()
    engine = AcdEngine(queues=[QueueConfig(name="general", skill="general")], store=store)
    for n in range(3):
        engine.handle(AgentLoggedIn(agent_id=f"a{n}", contact="Local/x", skills={"general": 1}), NOW)
    bus = EventBus()
    out = bus.subscribe("queue.figures")
    task = asyncio.create_task(Wallboard(engine=engine, bus=bus, clock=lambda: NOW).run())
    try:
        await asyncio.wait_for(out.get(), 5)
        _apply(engine, bus, AgentPaused(agent_id="a1", reason="小休"))
        store.fail = True
        frame = (await asyncio.wait_for(out.get(), 5)).data
        assert [a["agent_id"] for a in frame["agents"]] == ["a1"]
        assert frame["queues"][0]["paused"] == {"login": 2, "小休": 1}
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
