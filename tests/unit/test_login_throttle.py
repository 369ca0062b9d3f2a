"""The sign-in throttle: the backoff rule, and the same verdicts from the in-process store and the Redis
store (real Redis, own key prefix), including two app nodes sharing the Redis counts."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from agent_desktop.login import login_guard
from agent_desktop.login_throttle import (
    LoginThrottle,
    MemoryThrottleStore,
    RedisThrottleStore,
    ThrottleRule,
    ThrottleStore,
    locked_for,
)
from tests.redis_keys import drop_prefix

pytestmark = pytest.mark.timeout(60)

REDIS_URL = "redis://127.0.0.1:6379/0"
RULE = ThrottleRule(free=3, base_s=1.0, cap_s=8.0)


def test_given_attempts_then_the_lockout_doubles_from_the_first_unfree_one_up_to_the_cap() -> None:
    waits = [locked_for(RULE, attempts=n, last=100.0, now=100.0) for n in range(9)]
    assert waits == [0.0, 0.0, 0.0, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    assert locked_for(RULE, attempts=4, last=100.0, now=101.5) == pytest.approx(0.5)
    assert locked_for(RULE, attempts=4, last=100.0, now=103.0) == 0.0
    assert locked_for(RULE, attempts=10_000, last=100.0, now=100.0) == 8.0


@pytest.fixture(params=["memory", "redis"])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[ThrottleStore]:
    if request.param == "memory":
        yield MemoryThrottleStore(window_s=60.0)
        return
    prefix = f"test:login:{uuid.uuid4().hex}"
    redis_store = RedisThrottleStore(aioredis.Redis.from_url(REDIS_URL), prefix=prefix, window_s=60.0)
    try:
        yield redis_store
    finally:
        await redis_store.close()
        drop_prefix(REDIS_URL, prefix)


async def test_given_a_store_when_attempts_pass_the_free_ones_then_it_locks_without_counting(
    store: ThrottleStore,
) -> None:
    keys = [("user:1001", RULE), ("addr:10.0.0.1", ThrottleRule(free=100))]
    assert [await store.attempt(keys, now=100.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert await store.attempt(keys, now=100.0) == pytest.approx(1.0)
    assert await store.attempt(keys, now=100.9) == pytest.approx(0.1)
    assert await store.attempt(keys, now=101.0) == 0.0
    assert await store.attempt(keys, now=101.0) == pytest.approx(2.0)


async def test_given_a_success_then_the_user_is_forgiven_and_the_address_takes_its_attempt_back(
    store: ThrottleStore,
) -> None:
    user, address = ("user:1001", RULE), ("addr:10.0.0.1", ThrottleRule(free=2))
    assert await store.attempt([user, address], now=100.0) == 0.0
    await store.succeeded("user:1001", "addr:10.0.0.1")
    assert await store.attempt([("user:1002", RULE), address], now=100.0) == 0.0
    assert await store.attempt([("user:1003", RULE), address], now=100.0) == 0.0
    assert await store.attempt([("user:1004", RULE), address], now=100.0) == pytest.approx(1.0)


async def test_given_a_key_quiet_for_the_window_then_it_is_forgotten(store: ThrottleStore) -> None:
    keys = [("user:1001", RULE)]
    for _ in range(5):
        await store.attempt(keys, now=100.0)
    if isinstance(store, MemoryThrottleStore):
        assert await store.attempt(keys, now=161.0) == 0.0
    else:
        assert await store.attempt(keys, now=100.0) > 0  # Redis forgets by key expiry (60 s of real time)


async def test_given_two_app_nodes_on_one_redis_then_a_lockout_on_one_holds_on_the_other() -> None:
    prefix = f"test:login:{uuid.uuid4().hex}"
    nodes = [RedisThrottleStore(aioredis.Redis.from_url(REDIS_URL), prefix=prefix) for _ in range(2)]
    try:
        first, second = (LoginThrottle(node, clock=lambda: 100.0) for node in nodes)
        for _ in range(5):
            assert await first.attempt("1001", "10.0.0.1") == 0.0
        assert await second.attempt("1001", "10.0.0.2") == pytest.approx(1.0)
        assert await second.attempt("1002", "10.0.0.2") == 0.0
    finally:
        for node in nodes:
            await node.close()
        drop_prefix(REDIS_URL, prefix)


async def test_given_a_redis_url_then_the_sign_in_guard_counts_in_redis_else_in_memory() -> None:
    shared = login_guard(REDIS_URL, prefix=f"test:login:{uuid.uuid4().hex}")
    local = login_guard("", prefix="unused")
    try:
        assert isinstance(shared.throttle.store, RedisThrottleStore)
        assert isinstance(local.throttle.store, MemoryThrottleStore)
    finally:
        await shared.close()
        await local.close()
