"""Behaviour every ACD store must show; subclassed once per store with a ``store`` fixture.

A subclass provides ``store``: an empty :class:`acd.store.AcdStore` that belongs to the test.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

import pytest

from acd.commands import AcdCommand, OfferCall
from acd.engine import AcdEngine
from acd.errors import StaleState
from acd.events import (
    AcdEvent,
    AgentLoggedIn,
    AgentReady,
    CallFinished,
    CallQueued,
    OfferAnswered,
    OfferFailed,
    Tick,
)
from acd.model import Agent, AgentState, AgentStatus, Call, CallState, OverflowStep, QueueConfig
from acd.store import AcdStore


def ready(agent_id: str, idle_since: float, **skills: int) -> Agent:
    """An AVAILABLE + IDLE agent."""
    return Agent(
        agent_id, f"PJSIP/{agent_id}", dict(skills), AgentStatus.AVAILABLE, AgentState.IDLE, None, idle_since
    )


def waiting(
    call_id: str, queue: str, entered_at: float, priority: int = 0, seq: int = 0, tier: int = 0
) -> Call:
    """A WAITING call."""
    return Call(call_id, queue, "13800000000", f"PJSIP/t-{call_id}", entered_at, priority, seq=seq, tier=tier)


def ids(items: Iterable[Agent | Call | None]) -> list[str]:
    """Ids of agents or calls, in the order given."""
    out: list[str] = []
    for item in items:
        assert item is not None
        out.append(item.agent_id if isinstance(item, Agent) else item.call_id)
    return out


class StoreContract:
    """The contract; every test gets a fresh, empty store."""

    def test_agent_round_trip_keeps_every_field(self, store: AcdStore) -> None:
        agent = Agent(
            "a1", "PJSIP/1001", {"tax": 3, "社保": 1}, AgentStatus.PAUSED, AgentState.WRAP_UP, "就餐"
        )
        agent.idle_since, agent.wrapup_until, agent.calls_handled, agent.talk_s = 5.5, 99.25, 7, 123.5
        agent.current_call_id = "c9"
        store.put_agent(agent)
        got = store.get_agent("a1")
        assert got == agent
        assert got is not None
        assert got.version == 1
        assert store.get_agent("nobody") is None

    def test_call_round_trip_keeps_every_field(self, store: AcdStore) -> None:
        call = waiting("c1", "tax", 1000.123456, priority=4, seq=3, tier=1)
        call.attrs, call.queue_since, call.due_at = {"keys": "12", "区": "东"}, 1010.0, 1030.0
        call.callback, call.priority_class = "13900000000", "elderly"
        store.put_call(call)
        assert store.get_call("c1") == call
        assert store.get_call("nothing") is None

    def test_waiting_order_is_priority_then_entry_then_seq(self, store: AcdStore) -> None:
        for call in [
            waiting("late", "q", 30.0),
            waiting("vip", "q", 40.0, priority=8),
            waiting("early-b", "q", 10.0, seq=2),
            waiting("early-a", "q", 10.0, seq=1),
            waiting("other", "r", 1.0),
        ]:
            store.put_call(call)
        assert ids(store.waiting_calls("q")) == ["vip", "early-a", "early-b", "late"]
        assert ids([store.head_call("q")]) == ["vip"]
        assert store.count_waiting("q") == 4
        late = store.get_call("late")
        assert late is not None
        assert store.position(late) == 3
        late.state, late.agent_id = CallState.CONNECTED, "a1"
        store.put_call(late)
        assert store.position(late) == -1
        assert store.count_waiting("q") == 3

    def test_head_calls_reads_the_first_call_of_each_bucket(self, store: AcdStore) -> None:
        store.put_call(waiting("t0", "q", 5.0, tier=0))
        store.put_call(waiting("t1-old", "q", 1.0, tier=1))
        store.put_call(waiting("t1-new", "q", 2.0, tier=1))
        heads = store.head_calls([("q", 0), ("q", 1), ("q", 2), ("nowhere", 0)])
        assert [h.call_id if h else None for h in heads] == ["t0", "t1-old", None, None]
        assert store.head_calls([]) == []

    def test_ready_agents_by_level_longest_idle_first(self, store: AcdStore) -> None:
        store.put_agent(ready("junior", 1.0, tax=1))
        store.put_agent(ready("senior", 3.0, tax=3))
        store.put_agent(ready("mid", 2.0, tax=2, social=1))
        paused = ready("paused", 0.5, tax=3)
        paused.status = AgentStatus.PAUSED
        store.put_agent(paused)
        assert ids(store.ready_agents("tax")) == ["junior", "mid", "senior"]
        assert ids(store.ready_agents("tax", 2)) == ["mid", "senior"]
        assert ids(store.ready_agents("tax", 4)) == []
        assert ids(store.ready_agents("social")) == ["mid"]
        assert (store.count_ready("tax"), store.count_ready("tax", 3), store.count_ready("nope")) == (3, 1, 0)
        assert store.count_staffed("tax") == 4

    def test_many_ready_agents_come_in_order_across_pages(self, store: AcdStore) -> None:
        for n in range(70):
            store.put_agent(ready(f"a{n:02d}", 100.0 - n, tax=1 + n % 3))
        expected = [f"a{n:02d}" for n in reversed(range(70))]
        assert ids(store.ready_agents("tax")) == expected
        assert ids(store.ready_agents("tax", 3)) == [a for a in expected if int(a[1:]) % 3 == 2]

    def test_logged_out_agents_leave_every_index(self, store: AcdStore) -> None:
        agent = ready("a1", 1.0, tax=2)
        store.put_agent(agent)
        agent.status = AgentStatus.LOGGED_OUT
        store.put_agent(agent)
        assert (store.count_ready("tax"), store.count_staffed("tax")) == (0, 0)
        store.delete_agent("a1")
        assert store.get_agent("a1") is None
        assert list(store.iter_agents()) == []

    def test_timers_due_and_next_due(self, store: AcdStore) -> None:
        agent = ready("a1", 1.0, tax=1)
        agent.state, agent.wrapup_until = AgentState.WRAP_UP, 50.0
        store.put_agent(agent)
        early, late = waiting("c1", "q", 1.0), waiting("c2", "q", 2.0)
        early.due_at, late.due_at = 40.0, 60.0
        store.put_call(early)
        store.put_call(late)
        assert store.next_due() == 40.0
        assert store.due_now(45.0) == ([], ["c1"])
        assert store.due_now(60.0) == (["a1"], ["c1", "c2"])
        assert (store.wrapups_due(49.0), store.calls_due(39.0)) == ([], [])
        store.delete_call("c1")
        assert store.next_due() == 50.0

    def test_claim_flips_both_and_clears_their_indexes(self, store: AcdStore) -> None:
        store.put_agent(ready("a1", 1.0, tax=1))
        call = waiting("c1", "q", 1.0)
        call.due_at = 30.0
        store.put_call(call)
        claim = store.claim_offer("c1", "a1")
        assert claim
        assert claim.call is not None
        assert claim.agent is not None
        assert (claim.call.state, claim.call.agent_id) == (CallState.OFFERED, "a1")
        assert (claim.agent.state, claim.agent.offered_call_id) == (AgentState.OFFERED, "c1")
        assert store.get_call("c1") == claim.call
        assert store.get_agent("a1") == claim.agent
        assert (store.count_waiting("q"), store.count_ready("tax"), store.next_due()) == (0, 0, None)
        assert store.count_staffed("tax") == 1

    def test_claim_loses_when_call_or_agent_is_taken(self, store: AcdStore) -> None:
        store.put_agent(ready("a1", 1.0, tax=1))
        store.put_agent(ready("a2", 2.0, tax=1))
        store.put_call(waiting("c1", "q", 1.0))
        store.put_call(waiting("c2", "q", 2.0))
        assert store.claim_offer("c1", "a1")
        lost_call = store.claim_offer("c1", "a2")
        lost_agent = store.claim_offer("c2", "a1")
        assert (bool(lost_call), lost_call.lost, bool(lost_agent), lost_agent.lost) == (
            False,
            "call",
            False,
            "agent",
        )
        assert store.claim_offer("ghost", "a2").lost == "call"
        assert store.claim_offer("c2", "ghost").lost == "agent"
        c2, a2 = store.get_call("c2"), store.get_agent("a2")
        assert c2 is not None
        assert a2 is not None
        assert (c2.state, a2.state) == (CallState.WAITING, AgentState.IDLE)

    def test_claim_best_takes_queue_order_within_and_longest_wait_across_queues(
        self, store: AcdStore
    ) -> None:
        store.put_agent(ready("a1", 1.0, tax=1))
        store.put_call(waiting("q-old", "q", 1.0, seq=1, tier=0))
        store.put_call(waiting("q-vip", "q", 3.0, priority=5, seq=3, tier=1))
        store.put_call(waiting("r-mid", "r", 2.0, seq=2))
        store.put_call(waiting("s-elsewhere", "s", 0.5, seq=4))
        buckets = [("q", 0), ("q", 1), ("r", 0), ("r", 1)]
        assert store.claim_best("a1", []).lost == "none"
        claim = store.claim_best("a1", buckets)
        assert claim.call is not None
        assert claim.call.call_id == "r-mid"
        assert store.claim_best("a1", buckets).lost == "agent"
        store.put_agent(ready("a2", 1.0, tax=1))
        second = store.claim_best("a2", buckets)
        assert second.call is not None
        assert (second.call.call_id, second.call.agent_id) == ("q-vip", "a2")

    def test_stale_copy_is_refused_and_writes_nothing(self, store: AcdStore) -> None:
        store.put_agent(ready("a1", 1.0, tax=1))
        stored = store.get_agent("a1")
        assert stored is not None
        stale = replace(stored)
        stored.status = AgentStatus.PAUSED
        store.put_agent(stored)
        stale.contact = "PJSIP/other"
        with pytest.raises(StaleState) as info:
            store.put_agent(stale)
        assert info.value.error_id == "stale_state"
        again = store.get_agent("a1")
        assert again is not None
        assert (again.status, again.contact) == (AgentStatus.PAUSED, "PJSIP/a1")

    def test_a_copy_of_a_deleted_object_is_stale(self, store: AcdStore) -> None:
        store.put_agent(ready("a1", 1.0, tax=1))
        store.put_call(waiting("c1", "q", 1.0))
        agent, call = store.get_agent("a1"), store.get_call("c1")
        assert agent is not None
        assert call is not None
        agent, call = replace(agent), replace(call)
        store.delete_agent("a1")
        store.delete_call("c1")
        with pytest.raises(StaleState):
            store.put_agent(agent)
        with pytest.raises(StaleState):
            store.put_call(call)
        assert (store.get_agent("a1"), store.get_call("c1"), store.count_ready("tax")) == (None, None, 0)

    def test_put_agent_and_claim_ends_as_put_agent_then_claim_best(self, store: AcdStore) -> None:
        buckets = [("社保", 0), ("r", 0)]
        reference = _memory()
        for target in (store, reference):
            _claim_scene(target)
        agent = _made_ready(store)
        claim, counts = store.put_agent_and_claim(agent, buckets, [("s", "tax", 1)], [("社保", "tax", 1)])
        expected_agent = _made_ready(reference)
        reference.put_agent(expected_agent)
        expected = reference.claim_best("a1", buckets)
        assert claim.call is not None
        assert (claim.call, claim.agent) == (expected.call, expected.agent)
        assert (claim.call.call_id, claim.call.attrs) == ("q-old", {"区": "东"})
        assert counts == {"s": (1, 1), "社保": (0, 1)}
        assert _state(store) == _state(reference)

    def test_put_agent_and_claim_without_a_call_leaves_the_agent_ready(self, store: AcdStore) -> None:
        _claim_scene(store)
        claim, counts = store.put_agent_and_claim(
            _made_ready(store), [("empty", 0)], [("社保", "tax", 1)], [("empty", "tax", 1)]
        )
        assert (bool(claim), claim.lost, counts) == (False, "none", {"社保": (1, 2)})
        assert ids(store.ready_agents("tax")) == ["a2", "a1"]
        assert store.last_seen_agent("a1") == store.get_agent("a1")

    def test_put_agent_and_claim_of_an_agent_not_ready_writes_it_and_claims_nothing(
        self, store: AcdStore
    ) -> None:
        _claim_scene(store)
        paused = store.get_agent("a1")
        assert paused is not None
        paused.contact = "PJSIP/desk-9"
        claim, counts = store.put_agent_and_claim(paused, [("社保", 0)], [("社保", "tax", 1)])
        assert (claim.lost, counts) == ("agent", {"社保": (1, 1)})
        stored = store.get_agent("a1")
        assert stored is not None
        assert (stored.contact, stored.status, stored.version) == ("PJSIP/desk-9", AgentStatus.PAUSED, 2)

    def test_put_agent_and_claim_of_a_stale_copy_writes_nothing(self, store: AcdStore) -> None:
        _claim_scene(store)
        stale = _made_ready(store)
        other = store.get_agent("a1")
        assert other is not None
        other = replace(other, pause_reason="会议")
        store.put_agent(other)
        with pytest.raises(StaleState):
            store.put_agent_and_claim(stale, [("社保", 0)], [("社保", "tax", 1)])
        stored = store.get_agent("a1")
        assert stored is not None
        assert (stored.status, stored.pause_reason, stored.version) == (AgentStatus.PAUSED, "会议", 2)
        assert (store.count_waiting("社保"), store.count_ready("tax")) == (1, 1)

    def test_last_seen_agent_is_the_agent_as_last_written(self, store: AcdStore) -> None:
        assert store.last_seen_agent("nobody") is None
        store.put_agent(ready("a1", 1.0, tax=1))
        store.put_call(waiting("c1", "q", 1.0))
        assert store.last_seen_agent("a1") == store.get_agent("a1")
        assert store.claim_offer("c1", "a1")
        seen = store.last_seen_agent("a1")
        assert seen is not None
        assert (seen.state, seen.offered_call_id) == (AgentState.OFFERED, "c1")
        assert seen == store.get_agent("a1")

    def test_an_engine_runs_the_same_on_this_store(self, store: AcdStore) -> None:
        assert run_scenario(store) == run_scenario(_memory())


def _memory() -> AcdStore:
    from acd.store import MemoryStore

    return MemoryStore()


def _claim_scene(store: AcdStore) -> None:
    """a1 paused, a2 ready (both ``tax`` 1); one WAITING call in each of queues 社保, r and s."""
    paused = ready("a1", 1.0, tax=1)
    paused.status, paused.pause_reason = AgentStatus.PAUSED, "小休"
    store.put_agent(paused)
    store.put_agent(ready("a2", 0.5, tax=1))
    oldest = waiting("q-old", "社保", 1.0, seq=1)
    oldest.attrs = {"区": "东"}
    for call in (oldest, waiting("r-mid", "r", 2.0, seq=2), waiting("s-other", "s", 3.0, seq=3)):
        store.put_call(call)


def _made_ready(store: AcdStore) -> Agent:
    """A copy of a1 as read, made AVAILABLE (not written)."""
    agent = store.get_agent("a1")
    assert agent is not None
    return replace(agent, status=AgentStatus.AVAILABLE, pause_reason=None, idle_since=2.0)


def _state(store: AcdStore) -> tuple[object, ...]:
    """Objects, counters, orders and timers of the claim scene, to compare two stores."""
    return (
        sorted(store.iter_agents(), key=lambda a: a.agent_id),
        sorted(store.iter_calls(), key=lambda c: c.call_id),
        [ids(store.waiting_calls(q)) for q in ("社保", "r", "s")],
        ids(store.ready_agents("tax")),
        store.count_staffed("tax"),
        store.next_due(),
    )


def run_scenario(store: AcdStore) -> list[AcdCommand]:
    """A short day: levels, overflow, RONA, wrap-up; returns every command."""
    queues = [
        QueueConfig(
            "tax", "tax", wrapup_seconds=5.0, min_level=2, overflow=(OverflowStep(10.0, min_level=1),)
        ),
        QueueConfig("social", "social", wrapup_seconds=0.0, strategy="skill_level_first"),
    ]
    engine = AcdEngine(queues=queues, store=store)
    out: list[AcdCommand] = []
    steps: list[tuple[float, AcdEvent]] = [
        (0.0, AgentLoggedIn("junior", "PJSIP/j", {"tax": 1, "social": 1})),
        (0.0, AgentLoggedIn("senior", "PJSIP/s", {"tax": 3, "social": 2})),
        (1.0, AgentReady("junior")),
        (2.0, CallQueued("c1", "tax", "110", "ch1")),
        (3.0, CallQueued("c2", "social", "120", "ch2", priority=2)),
        (12.0, Tick()),
        (13.0, OfferFailed("c2", "junior", "no_answer")),
        (14.0, AgentReady("senior")),
        (15.0, OfferAnswered("c1", "senior")),
        (16.0, AgentReady("junior")),
        (17.0, OfferAnswered("c2", "junior")),
        (20.0, CallFinished("c1")),
        (26.0, Tick()),
    ]
    for now, event in steps:
        out += engine.handle(event, now)
    assert any(isinstance(c, OfferCall) for c in out)
    return out
