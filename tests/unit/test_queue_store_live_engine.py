"""An engine given a new queue configuration while calls wait (acd.queue_live_engine): new steps
apply at once, callers keep their place, a queue that is gone hands its callers to ``general``."""

from __future__ import annotations

import pytest

from acd.commands import AcdCommand, CallChanged, OfferCall
from acd.engine import AcdEngine
from acd.errors import InvalidConfig
from acd.events import AgentLoggedIn, AgentReady, CallQueued, SurgeMode
from acd.model import CallState, MaxWait, OverflowStep, QueueConfig
from acd.queue_live_engine import RECONFIGURED
from acd.store import MemoryStore


def _queues(enterprise_after_s: float = 15.0, *, surge: tuple[str, ...] = ()) -> list[QueueConfig]:
    return [
        QueueConfig(name="general", skill="general"),
        QueueConfig(
            name="enterprise",
            skill="enterprise",
            overflow=(OverflowStep(enterprise_after_s, ("general",)),),
            surge_skills=surge,
        ),
    ]


def _engine(queues: list[QueueConfig]) -> tuple[AcdEngine, MemoryStore]:
    store = MemoryStore()
    return AcdEngine(queues=queues, store=store), store


def _offers(commands: list[AcdCommand]) -> list[tuple[str, str]]:
    return [(c.call_id, c.agent_id) for c in commands if isinstance(c, OfferCall)]


def _queue(engine: AcdEngine, call_id: str, queue: str, now: float) -> None:
    engine.handle(CallQueued(call_id, queue, "13800000000", f"ch-{call_id}"), now)


def test_given_a_caller_before_overflow_when_the_step_is_shortened_then_a_general_seat_takes_it_at_once() -> (
    None
):
    engine, _ = _engine(_queues(15.0))
    engine.handle(AgentLoggedIn("g1", "PJSIP/g1", {"general": 1}), 0.0)
    engine.handle(AgentReady("g1"), 0.0)
    _queue(engine, "c1", "enterprise", 1.0)
    store_call = engine.store.get_call("c1")
    assert store_call is not None
    assert store_call.state is CallState.WAITING

    commands = engine.reconfigure(_queues(3.0), 5.0)

    assert _offers(commands) == [("c1", "g1")]
    assert engine.queues["enterprise"].overflow[0].after_s == 3.0


def test_given_two_waiting_callers_when_steps_change_then_each_keeps_its_place_and_its_wait() -> None:
    engine, store = _engine(_queues(15.0))
    _queue(engine, "first", "enterprise", 1.0)
    _queue(engine, "second", "enterprise", 2.0)

    commands = engine.reconfigure(_queues(30.0), 20.0)

    assert [engine.position(c)[0] for c in ("first", "second")] == [1, 2]
    first = store.get_call("first")
    assert first is not None
    assert (first.entered_at, first.tier, first.due_at) == (1.0, 0, 31.0)
    changed = [c for c in commands if isinstance(c, CallChanged)]
    assert {(c.call_id, c.reason) for c in changed} == {("first", RECONFIGURED), ("second", RECONFIGURED)}


def test_given_a_caller_of_a_queue_that_is_removed_then_it_waits_in_general_with_its_place() -> None:
    engine, store = _engine(_queues())
    _queue(engine, "old", "enterprise", 1.0)
    _queue(engine, "new", "general", 2.0)

    engine.reconfigure([QueueConfig(name="general", skill="general")], 3.0)

    moved = store.get_call("old")
    assert moved is not None
    assert (moved.queue, moved.state, moved.entered_at) == ("general", CallState.WAITING, 1.0)
    assert engine.position("old")[0] == 1
    engine.handle(AgentLoggedIn("g1", "PJSIP/g1", {"general": 1}), 4.0)
    assert _offers(engine.handle(AgentReady("g1"), 4.0)) == [("old", "g1")]


def test_given_a_configuration_the_routing_refuses_then_nothing_changes() -> None:
    engine, _ = _engine(_queues())
    bad = [*_queues(), QueueConfig(name="x", skill="x", max_wait=MaxWait(10.0, "queue", "nowhere"))]

    with pytest.raises(InvalidConfig):
        engine.reconfigure(bad, 1.0)

    assert set(engine.queues) == {"general", "enterprise"}


def test_given_surge_on_when_surge_skills_change_then_the_new_surge_seats_serve_at_once() -> None:
    engine, _ = _engine(_queues(surge=("general",)))
    engine.handle(SurgeMode(on=True), 0.0)
    engine.handle(AgentLoggedIn("s1", "PJSIP/s1", {"surge": 1}), 0.0)
    engine.handle(AgentReady("s1"), 0.0)
    _queue(engine, "c1", "enterprise", 1.0)

    commands = engine.reconfigure(_queues(surge=("general", "surge")), 2.0)

    assert _offers(commands) == [("c1", "s1")]
    assert engine.routing.surge["enterprise"] == ("general", "surge")
