"""The store contract on the real Redis, and engines on two nodes racing over one Redis.

Redis is reached with ``HOTLINE_TEST_REDIS_URL`` (default: the local server, database 0). Every test
uses its own key prefix and deletes its keys afterwards.
"""

from __future__ import annotations

import os
import secrets
import threading
from collections.abc import Callable, Iterator

import pytest

from acd.commands import AcdCommand, AgentChanged, OfferCall
from acd.engine import AcdEngine
from acd.errors import AcdError, StaleState
from acd.events import (
    AcdEvent,
    AgentLoggedIn,
    AgentLoggedOut,
    AgentPaused,
    AgentReady,
    CallQueued,
    Tick,
)
from acd.model import AgentState, AgentStatus, CallState, QueueConfig
from acd.store import AcdStore
from acd.store_redis import RedisStore
from tests.store_contract import StoreContract, ready, waiting

pytestmark = [pytest.mark.redis, pytest.mark.timeout(60)]

REDIS_URL = os.environ.get("HOTLINE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
def new_store() -> Iterator[Callable[[], RedisStore]]:
    """Makes stores on their own connections sharing one fresh prefix; the prefix is emptied after."""
    prefix = f"test:acd:{secrets.token_hex(6)}"
    made: list[RedisStore] = []

    def make() -> RedisStore:
        store = RedisStore.from_url(REDIS_URL, prefix=prefix)
        made.append(store)
        return store

    yield make
    if made:
        made[0].clear()
    for store in made:
        store.r.close()


class TestRedisContract(StoreContract):
    """Every contract test on a fresh prefix of the real Redis."""

    @pytest.fixture
    def store(self, new_store: Callable[[], RedisStore]) -> AcdStore:
        """An empty store under a prefix of its own."""
        return new_store()


def test_store_reads_what_another_node_wrote(new_store: Callable[[], RedisStore]) -> None:
    one, two = new_store(), new_store()
    one.put_agent(ready("a1", 1.0, tax=2))
    one.put_call(waiting("c1", "tax", 5.0))
    assert [a.agent_id for a in two.ready_agents("tax", 2)] == ["a1"]
    assert two.claim_offer("c1", "a1")
    assert not one.claim_offer("c1", "a1")
    assert one.count_waiting("tax") == 0


def test_clear_deletes_only_its_prefix(new_store: Callable[[], RedisStore]) -> None:
    store = new_store()
    other = RedisStore.from_url(REDIS_URL, prefix=f"test:acd:{secrets.token_hex(6)}")
    try:
        store.put_agent(ready("a1", 1.0, tax=1))
        other.put_agent(ready("a1", 1.0, tax=1))
        assert store.clear() > 0
        assert store.get_agent("a1") is None
        assert other.get_agent("a1") is not None
    finally:
        other.clear()
        other.r.close()


def test_two_nodes_claiming_the_same_pairs_never_double_offer(new_store: Callable[[], RedisStore]) -> None:
    setup = new_store()
    pairs = [(f"c{n}", f"a{n % 10}") for n in range(40)]
    for n in range(10):
        setup.put_agent(ready(f"a{n}", float(n), tax=1))
    for n in range(40):
        setup.put_call(waiting(f"c{n}", "tax", float(n)))
    won: list[list[tuple[str, str]]] = [[], []]
    barrier = threading.Barrier(2)

    def node(i: int) -> None:
        store = new_store()
        barrier.wait()
        for call_id, agent_id in pairs if i == 0 else reversed(pairs):
            if store.claim_offer(call_id, agent_id):
                won[i].append((call_id, agent_id))

    threads = [threading.Thread(target=node, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    offers = won[0] + won[1]
    assert len({a for _, a in offers}) == len(offers) == 10
    assert len({c for c, _ in offers}) == len(offers)


QUEUES = [QueueConfig(f"q{n}", f"s{n}", wrapup_seconds=1.0) for n in range(3)]


def _race_node(
    store: RedisStore, events: list[tuple[float, AcdEvent]], out: list[AcdCommand], errors: list[AcdError]
) -> None:
    """Every event here applies, so a refusal is a defect: it would drop the offers its run had won."""
    engine = AcdEngine(queues=QUEUES, store=store)
    for now, event in events:
        try:
            out += engine.handle(event, now)
        except AcdError as exc:
            errors.append(exc)


def test_two_engines_racing_over_one_redis_offer_each_call_and_agent_once(
    new_store: Callable[[], RedisStore],
) -> None:
    setup = AcdEngine(queues=QUEUES, store=new_store())
    agents = [f"a{n}" for n in range(30)]
    for n, agent_id in enumerate(agents):
        setup.handle(
            AgentLoggedIn(agent_id, f"PJSIP/{agent_id}", {f"s{n % 3}": 1, f"s{(n + 1) % 3}": 2}), 0.0
        )
    plans: list[list[tuple[float, AcdEvent]]] = [[], []]
    for n in range(60):
        plans[n % 2].append((1.0 + n, CallQueued(f"c{n}", f"q{n % 3}", "110", f"ch{n}")))
    for n, agent_id in enumerate(agents):
        plans[(n + 1) % 2].insert(n, (1.5 + n, AgentReady(agent_id)))
    outs: list[list[AcdCommand]] = [[], []]
    errors: list[AcdError] = []
    threads = [
        threading.Thread(target=_race_node, args=(new_store(), plans[i], outs[i], errors)) for i in range(2)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    sweep = AcdEngine(queues=QUEUES, store=new_store())
    outs.append(sweep.handle(Tick(), 100.0))
    offers = [c for out in outs for c in out if isinstance(c, OfferCall)]
    assert len(offers) == 30
    assert len({o.agent_id for o in offers}) == 30
    assert len({o.call_id for o in offers}) == 30
    check = new_store()
    for offer in offers:
        call, agent = check.get_call(offer.call_id), check.get_agent(offer.agent_id)
        assert call is not None
        assert agent is not None
        assert (call.state, call.agent_id, agent.offered_call_id) == (
            CallState.OFFERED,
            agent.agent_id,
            call.call_id,
        )
    assert sum(check.count_waiting(q.name) for q in QUEUES) == 30


def test_last_seen_agent_is_a_private_copy_that_another_node_can_outdate(
    new_store: Callable[[], RedisStore],
) -> None:
    one, two = new_store(), new_store()
    one.put_agent(ready("a1", 1.0, tax=1))
    seen = one.last_seen_agent("a1")
    assert seen is not None
    seen.contact = "PJSIP/changed-here"
    assert one.last_seen_agent("a1") == one.get_agent("a1")
    assert two.last_seen_agent("a1") is None
    other = two.get_agent("a1")
    assert other is not None
    other.status = AgentStatus.PAUSED
    two.put_agent(other)
    stale = one.last_seen_agent("a1")
    assert stale is not None
    assert stale.status is AgentStatus.AVAILABLE
    with pytest.raises(StaleState):
        one.put_agent(stale)
    assert one.last_seen_agent("a1") is None


def test_an_engine_whose_copy_of_the_agent_is_outdated_reads_it_again(
    new_store: Callable[[], RedisStore],
) -> None:
    one, two = AcdEngine(queues=QUEUES, store=new_store()), AcdEngine(queues=QUEUES, store=new_store())
    one.handle(AgentLoggedIn("a1", "PJSIP/a1", {"s0": 1}), 0.0)
    one.handle(AgentLoggedIn("a2", "PJSIP/a2", {"s0": 1}), 0.0)
    one.handle(AgentLoggedOut("a2"), 0.5)
    two.handle(AgentPaused("a1", "会议"), 1.0)
    two.handle(AgentLoggedIn("a2", "PJSIP/a2", {"s0": 1}), 1.0)
    two.handle(CallQueued("c1", "q0", "110", "ch1"), 2.0)
    two.handle(CallQueued("c2", "q0", "120", "ch2"), 2.5)
    one.handle(Tick(), 3.0)
    out = one.handle(AgentReady("a1"), 4.0) + one.handle(AgentReady("a2"), 5.0)
    assert [(c.call_id, c.agent_id) for c in out if isinstance(c, OfferCall)] == [("c1", "a1"), ("c2", "a2")]
    changes = [(c.agent_id, c.status, c.state, c.pause_reason) for c in out if isinstance(c, AgentChanged)]
    assert changes == [
        ("a1", AgentStatus.AVAILABLE, AgentState.IDLE, None),
        ("a1", AgentStatus.AVAILABLE, AgentState.OFFERED, None),
        ("a2", AgentStatus.AVAILABLE, AgentState.IDLE, None),
        ("a2", AgentStatus.AVAILABLE, AgentState.OFFERED, None),
    ]
    a1 = two.store.get_agent("a1")
    assert a1 is not None
    assert (a1.state, a1.offered_call_id, a1.version) == (AgentState.OFFERED, "c1", 4)


def test_position_and_estimate_on_redis(new_store: Callable[[], RedisStore]) -> None:
    engine = AcdEngine(queues=QUEUES, store=new_store())
    engine.handle(AgentLoggedIn("a1", "PJSIP/a1", {"s0": 1}), 0.0)
    for n in range(3):
        engine.handle(CallQueued(f"c{n}", "q0", "110", f"ch{n}"), 1.0 + n)
    assert engine.position("c2") == (3, 3 * 180.0)
    with pytest.raises(AcdError):
        engine.position("ghost")


def test_quick_bench_runs_on_redis() -> None:
    """The quick bench runs on Redis, and a decision there is one round trip (the write and claim
    script, the agent taken from the store's last seen copy)."""
    from tests.unit.test_acd_bench import KEYS, run_bench

    (row,) = run_bench("--stores", "redis", "--redis-url", REDIS_URL)
    assert set(row) == KEYS
    assert (row["store"], row["waiting_calls"], row["round_trips_per_decision"]) == ("redis", 200, 1.0)
