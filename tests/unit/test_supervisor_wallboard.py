"""The wallboard publishes a complete set first, then only what changed, in frames of bounded size."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from acd.engine import AcdEngine
from acd.model import Agent, AgentStatus, QueueConfig
from acd.store import MemoryStore
from hotline.bus import BusEvent, EventBus
from supervisor.wallboard import AGENTS_PER_FRAME, FULL_EVERY_S, Wallboard


class Clock:
    """A settable clock."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Recorder(EventBus):
    """A bus that keeps what was published."""

    def __init__(self) -> None:
        super().__init__()
        self.published: list[dict[str, Any]] = []

    def publish(self, topic: str, data: Mapping[str, Any]) -> BusEvent:
        assert topic == "queue.figures"
        self.published.append(dict(data))
        return super().publish(topic, data)


def _setup(agents: int) -> tuple[AcdEngine, Wallboard, Clock, Recorder]:
    engine = AcdEngine(queues=[QueueConfig(name="general", skill="general")], store=MemoryStore())
    for n in range(agents):
        engine.store.put_agent(
            Agent(
                agent_id=f"a{n:04d}", contact="Local/x", skills={"general": 1}, status=AgentStatus.AVAILABLE
            )
        )
    bus, clock = Recorder(), Clock()
    return engine, Wallboard(engine=engine, bus=bus, clock=clock), clock, bus


def _publish(board: Wallboard, bus: Recorder) -> list[dict[str, Any]]:
    bus.published.clear()
    board.publish_if_changed()
    return list(bus.published)


def test_given_many_agents_then_a_complete_set_in_parts_then_only_changes() -> None:
    engine, board, clock, published = _setup(2 * AGENTS_PER_FRAME + 5)
    first = _publish(board, published)
    assert [(f["complete"], f["part"], f["parts"], len(f["agents"])) for f in first] == [
        (True, 1, 3, AGENTS_PER_FRAME),
        (True, 2, 3, AGENTS_PER_FRAME),
        (True, 3, 3, 5),
    ]
    clock.now += 1
    assert _publish(board, published) == []
    agent = engine.store.get_agent("a0007")
    assert agent is not None
    agent.status, agent.pause_reason = AgentStatus.PAUSED, "就餐"
    engine.store.put_agent(agent)
    engine.store.delete_agent("a0008")
    clock.now += 1
    (delta,) = _publish(board, published)
    assert [a["agent_id"] for a in delta["agents"]] == ["a0007"]
    assert delta["left"] == ["a0008"]
    assert delta["complete"] is False
    assert delta["queues"][0]["paused"] == {"就餐": 1}
    clock.now += FULL_EVERY_S
    assert all(f["complete"] for f in _publish(board, published))


def test_given_a_desktop_joins_then_a_complete_set_follows_but_not_more_often_than_the_minimum() -> None:
    _, board, clock, published = _setup(3)
    _publish(board, published)
    board.someone_joined("s1", 1)
    clock.now += 1
    assert _publish(board, published) == []
    clock.now += 5
    (full,) = _publish(board, published)
    assert full["complete"] is True
    assert len(full["agents"]) == 3
