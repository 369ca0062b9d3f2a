"""Engines sharing one store: what another engine changes between two reads of this one.

With Redis, an engine reads a ready-agent index and then the agents' records; another node can claim
one of those agents in between, or end a wrap-up this engine found due. The store below replays that
interleaving deterministically: a rival's writes land at exactly that point of the read.

An engine readies an agent from the store's last seen copy of it (no read), which another engine may
have outdated; the second store below hands out such outdated copies.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from acd.commands import AgentChanged, OfferCall
from acd.engine import AcdEngine
from acd.errors import IllegalTransition
from acd.events import (
    AgentLoggedIn,
    AgentLoggedOut,
    AgentPaused,
    AgentReady,
    CallFinished,
    CallQueued,
    OfferAnswered,
    Tick,
)
from acd.model import Agent, AgentState, AgentStatus, Call, QueueConfig
from acd.store import MemoryStore, copy_agent

QUEUES = [QueueConfig("tax", "tax", wrapup_seconds=10.0)]


class InterleavingStore(MemoryStore):
    """A memory store that runs ``rival`` once, right after an index read and before its records."""

    def __init__(self) -> None:
        super().__init__()
        self.rival: Callable[[], None] | None = None

    def _rival_now(self) -> None:
        rival, self.rival = self.rival, None
        if rival is not None:
            rival()

    def ready_agents(self, skill: str, min_level: int = 1) -> Iterator[Agent]:
        found = list(super().ready_agents(skill, min_level))
        self._rival_now()
        return iter(found)

    def due_now(self, now: float) -> tuple[list[str], list[str]]:
        due = super().due_now(now)
        self._rival_now()
        return due


def _ready(engine: AcdEngine, agent_id: str, at: float) -> None:
    engine.handle(AgentLoggedIn(agent_id, f"PJSIP/{agent_id}", {"tax": 1}), at)
    engine.handle(AgentReady(agent_id), at)


def test_agent_claimed_by_another_engine_between_index_and_record_is_skipped_not_raised() -> None:
    store = InterleavingStore()
    engine = AcdEngine(queues=QUEUES, store=store)
    _ready(engine, "a1", 1.0)
    _ready(engine, "a2", 2.0)

    def rival_claims_a1() -> None:
        store.put_call(Call("rival", "tax", "1", "ch-rival", entered_at=0.5))
        assert store.claim_offer("rival", "a1")

    store.rival = rival_claims_a1
    out = engine.handle(CallQueued("c1", "tax", "13800000000", "ch1"), 5.0)
    assert [(c.call_id, c.agent_id) for c in out if isinstance(c, OfferCall)] == [("c1", "a2")]
    a1 = store.get_agent("a1")
    assert a1 is not None
    assert (a1.state, a1.offered_call_id) == (AgentState.OFFERED, "rival")


def test_wrap_up_ended_by_another_engine_after_the_due_read_is_left_alone() -> None:
    store = InterleavingStore()
    engine = AcdEngine(queues=QUEUES, store=store)
    _ready(engine, "a1", 1.0)
    engine.handle(CallQueued("c1", "tax", "13800000000", "ch1"), 2.0)
    engine.handle(OfferAnswered("c1", "a1"), 3.0)
    engine.handle(CallFinished("c1"), 4.0)

    def rival_ends_wrap_up_and_agent_takes_the_new_call() -> None:
        rival = AcdEngine(queues=QUEUES, store=store)
        assert [c.call_id for c in rival.handle(Tick(), 14.5) if isinstance(c, OfferCall)] == ["c3"]
        rival.handle(OfferAnswered("c3", "a1"), 14.7)
        rival.handle(CallFinished("c3"), 14.8)

    store.rival = rival_ends_wrap_up_and_agent_takes_the_new_call
    out = engine.handle(CallQueued("c3", "tax", "13700000000", "ch3"), 15.0)
    a1 = store.get_agent("a1")
    assert a1 is not None
    assert (a1.status, a1.state, a1.wrapup_until) == (AgentStatus.AVAILABLE, AgentState.WRAP_UP, 24.8)
    assert not [c for c in out if isinstance(c, AgentChanged | OfferCall)]
    assert store.get_call("c3") is None


class OutdatedCopyStore(MemoryStore):
    """A memory store whose ``last_seen_agent`` hands out the copies ``remember`` took."""

    def __init__(self) -> None:
        super().__init__()
        self.copies: dict[str, Agent] = {}

    def remember(self, agent_id: str) -> None:
        agent = self.get_agent(agent_id)
        assert agent is not None
        self.copies[agent_id] = copy_agent(agent)

    def last_seen_agent(self, agent_id: str) -> Agent | None:
        copy = self.copies.get(agent_id)
        return super().last_seen_agent(agent_id) if copy is None else copy_agent(copy)


def _centre_with_a1_logged_in() -> tuple[OutdatedCopyStore, AcdEngine]:
    store = OutdatedCopyStore()
    engine = AcdEngine(queues=QUEUES, store=store)
    engine.handle(AgentLoggedIn("a1", "PJSIP/a1", {"tax": 1}), 1.0)
    return store, engine


def _offers(engine: AcdEngine, agent_id: str, at: float) -> list[tuple[str, str]]:
    out = engine.handle(AgentReady(agent_id), at)
    return [(c.call_id, c.agent_id) for c in out if isinstance(c, OfferCall)]


def test_an_outdated_copy_is_refused_by_the_write_and_the_agent_read_again() -> None:
    store, engine = _centre_with_a1_logged_in()
    store.remember("a1")
    engine.handle(AgentPaused("a1", "会议"), 2.0)
    engine.handle(CallQueued("c1", "tax", "13800000000", "ch1"), 3.0)
    engine.handle(Tick(), 4.0)
    assert _offers(engine, "a1", 5.0) == [("c1", "a1")]
    a1 = store.get_agent("a1")
    assert a1 is not None
    assert (a1.state, a1.pause_reason, a1.version) == (AgentState.OFFERED, None, 4)


def test_a_refusal_on_an_outdated_copy_is_checked_on_the_stored_agent() -> None:
    store, engine = _centre_with_a1_logged_in()
    engine.handle(AgentLoggedOut("a1"), 2.0)
    store.remember("a1")
    engine.handle(AgentLoggedIn("a1", "PJSIP/a1", {"tax": 1}), 3.0)
    engine.handle(CallQueued("c1", "tax", "13800000000", "ch1"), 3.0)
    assert _offers(engine, "a1", 4.0) == [("c1", "a1")]


def test_a_refusal_that_holds_on_the_stored_agent_is_raised_and_changes_nothing() -> None:
    store, engine = _centre_with_a1_logged_in()
    store.remember("a1")
    engine.handle(AgentLoggedOut("a1"), 2.0)
    engine.handle(CallQueued("c1", "tax", "13800000000", "ch1"), 3.0)
    before = engine.snapshot()
    with pytest.raises(IllegalTransition):
        engine.handle(AgentReady("a1"), 4.0)
    assert engine.snapshot() == before
    a1 = store.get_agent("a1")
    assert a1 is not None
    assert (a1.status, a1.version) == (AgentStatus.LOGGED_OUT, 2)
