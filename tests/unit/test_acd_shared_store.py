"""Engines sharing one store: what another engine changes between two reads of this one.

With Redis, an engine reads a ready-agent index and then the agents' records; another node can claim
one of those agents in between, or end a wrap-up this engine found due. The store below replays that
interleaving deterministically: a rival's writes land at exactly that point of the read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from acd.commands import AgentChanged, OfferCall
from acd.engine import AcdEngine
from acd.events import AgentLoggedIn, AgentReady, CallFinished, CallQueued, OfferAnswered, Tick
from acd.model import Agent, AgentState, AgentStatus, Call, QueueConfig
from acd.store import MemoryStore

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
