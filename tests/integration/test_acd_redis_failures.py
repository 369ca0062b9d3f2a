"""The Redis store across a lost reply and across lost Redis data, on real Redis servers.

A lost reply: a relay (tests/integration/lossy_tcp.py) delivers a claim to Redis and swallows the reply;
the store asks again with the same operation token and gets the original offer, not a refusal. Lost data:
a private redis-server is flushed, or restarted from an older snapshot, while a store holds an agent copy
whose version another store then reaches again with other content: the stale copy is refused.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
import redis

from acd.errors import StaleState
from acd.model import Agent, AgentState, AgentStatus, CallState
from acd.redis_rows import agent_put_args
from acd.store_redis import RedisStore
from tests.integration.lossy_tcp import LossyRelay
from tests.integration.test_bus_relay import RedisServer, own_redis
from tests.store_contract import ready, waiting

pytestmark = [pytest.mark.redis, pytest.mark.timeout(60)]

REDIS_URL = os.environ.get("HOTLINE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
__all__ = ["own_redis"]


@pytest.fixture
def prefix() -> Iterator[str]:
    name = f"test:acd-fail:{secrets.token_hex(6)}"
    yield name
    open_store(REDIS_URL, name).clear()


OPENED: list[RedisStore] = []


def open_store(url: str, prefix: str) -> RedisStore:
    """A store on its own connection, closed after the test."""
    store = RedisStore.from_url(url, prefix=prefix)
    OPENED.append(store)
    return store


@pytest.fixture(autouse=True)
def close_stores() -> Iterator[None]:
    yield
    while OPENED:
        OPENED.pop().r.close()


def test_a_write_replayed_with_its_token_returns_the_first_reply_and_runs_once(prefix: str) -> None:
    store = open_store(REDIS_URL, prefix)
    store.put_agent(ready("a1", 1.0, general=1))
    store.put_call(waiting("c1", "general", 1.0))
    epoch = store.once.epoch()

    def claim(token: str) -> list[object]:
        keys = [store._c("c1"), store._a("a1"), store.once.epoch_key, f"{store.prefix}op:{token}"]
        return list(store._claim(keys=keys, args=[store.prefix, "c1", "a1", epoch]))

    first = claim("t1")
    assert first[0] == 1
    assert claim("t1") == first, "a replay of the same operation gets the same offer"
    assert claim("t2") == [0, "call"], "a new operation is checked as usual"

    agent = store.get_agent("a1")
    assert agent is not None
    keys = [store._a("a1"), store.prefix + "agents", store.once.epoch_key, f"{store.prefix}op:p1"]
    args: list[str | int] = [store.prefix, "a1", agent.version, *agent_put_args(agent), epoch]
    assert store._put(keys=keys, args=args) == store._put(keys=keys, args=args) == [1, agent.version + 1]
    again = store.get_agent("a1")
    assert again is not None
    assert again.version == agent.version + 1


def test_given_a_claim_whose_reply_is_lost_when_the_store_asks_again_then_the_offer_stands(
    prefix: str,
) -> None:
    relay = LossyRelay(urlsplit(REDIS_URL).port or 6379)
    try:
        store = open_store(f"redis://127.0.0.1:{relay.port}/0", prefix)
        store.put_agent(ready("warm", 1.0, general=1))
        store.put_call(waiting("warm-call", "general", 1.0))
        assert store.claim_offer("warm-call", "warm")
        store.put_agent(ready("a1", 2.0, general=1))
        store.put_call(waiting("lost-reply-call", "general", 2.0))

        relay.lose_reply_to(b"lost-reply-call")
        claim = store.claim_offer("lost-reply-call", "a1")
        assert relay.lost == 1
    finally:
        relay.close()
    assert claim, f"the claim was refused after its reply was lost: {claim}"
    assert claim.agent is not None
    assert claim.agent.state is AgentState.OFFERED
    direct = open_store(REDIS_URL, prefix)
    agent, call = direct.get_agent("a1"), direct.get_call("lost-reply-call")
    assert agent is not None
    assert agent.offered_call_id == "lost-reply-call"
    assert call is not None
    assert call.state is CallState.OFFERED
    assert call.agent_id == "a1"
    assert agent.version == claim.agent.version


def advanced(store: RedisStore, agent: Agent, *idles: float) -> Agent:
    """``agent`` written by ``store`` once per idle time given; the last copy."""
    for idle in idles:
        agent.idle_since = idle
        store.put_agent(agent)
    return agent


def test_given_redis_flushed_when_a_stale_copy_is_written_then_refused_and_copies_forgotten(
    own_redis: RedisServer,
) -> None:
    one = open_store(own_redis.url, "acd")
    advanced(one, ready("a1", 1.0, general=1), 1.0, 2.0, 3.0)
    stale = one.last_seen_agent("a1")
    assert stale is not None
    assert stale.version == 3
    redis.Redis(port=own_redis.port).flushall()

    two = open_store(own_redis.url, "acd")
    other = Agent("a1", "PJSIP/9999", {"enterprise": 1}, AgentStatus.AVAILABLE, AgentState.IDLE)
    advanced(two, other, 50.0, 51.0, 52.0)
    assert other.version == stale.version, "versions repeat after the data was lost"

    stale.idle_since = 99.0
    with pytest.raises(StaleState):
        one.put_agent(stale)
    assert one.last_seen_agent("a1") is None
    now = two.get_agent("a1")
    assert now is not None
    assert (now.contact, now.idle_since) == ("PJSIP/9999", 52.0)
    fresh = one.get_agent("a1")
    assert fresh is not None
    advanced(one, fresh, 60.0)
    assert fresh.version == 4


@pytest.mark.parametrize("first", ["write", "read"])
def test_given_redis_restarted_from_an_older_snapshot_when_a_stale_copy_is_written_then_refused(
    own_redis: RedisServer, first: str
) -> None:
    one = open_store(own_redis.url, "acd")
    agent = advanced(one, ready("a1", 1.0, general=1), 1.0)
    redis.Redis(port=own_redis.port).save()
    advanced(one, agent, 2.0, 3.0)
    stale = one.last_seen_agent("a1")
    assert stale is not None
    assert stale.version == 3
    own_redis.stop()
    own_redis.start()

    two = open_store(own_redis.url, "acd")
    restored = two.get_agent("a1")
    assert restored is not None
    assert restored.version == 1, "the snapshot is older than what one has seen"
    restored.contact = "PJSIP/9999"
    advanced(two, restored, 70.0, 71.0)
    assert restored.version == stale.version

    if first == "read":
        with contextlib.suppress(redis.ConnectionError):
            one.count_waiting("general")
        assert one.count_waiting("general") == 0
    stale.idle_since = 99.0
    with pytest.raises(StaleState):
        one.put_agent(stale)
    now = open_store(own_redis.url, "acd").get_agent("a1")
    assert now is not None
    assert (now.contact, now.idle_since) == ("PJSIP/9999", 71.0)
    assert one.once.generation >= 1
