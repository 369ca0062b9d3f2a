"""The leg directory (acd.leg_directory) in memory and in the real Redis: a leg's record, the call's
current leg, and forgetting a leg that a newer offer of its call has replaced."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import pytest

from acd.leg_directory import LegDirectory, LegRecord, MemoryLegs, RedisLegs, leg_directory
from acd.store import MemoryStore
from acd.store_redis import RedisStore
from tests.redis_keys import drop_prefix

pytestmark = [pytest.mark.redis, pytest.mark.timeout(30)]

REDIS_URL = os.environ.get("HOTLINE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture(params=["memory", "redis"])
def legs(request: pytest.FixtureRequest) -> Iterator[LegDirectory]:
    if request.param == "memory":
        yield leg_directory(MemoryStore())
        return
    prefix = f"hotline:test:{secrets.token_hex(4)}"
    store = RedisStore.from_url(REDIS_URL, prefix=prefix)
    try:
        yield leg_directory(store)
    finally:
        store.r.close()
        drop_prefix(REDIS_URL, prefix)


def leg(n: int, call_id: str = "1765000000.7") -> LegRecord:
    return LegRecord(f"hl-{n:032x}", call_id, "1001", "PJSIP/trunk-00000001", "node-1")


def test_the_store_decides_where_legs_are_kept() -> None:
    assert isinstance(leg_directory(MemoryStore()), MemoryLegs)
    store = RedisStore.from_url(REDIS_URL, prefix=f"hotline:test:{secrets.token_hex(4)}")
    try:
        assert isinstance(leg_directory(store), RedisLegs)
    finally:
        store.r.close()


def test_given_a_noted_leg_then_every_reader_finds_it_and_its_call_points_to_it(legs: LegDirectory) -> None:
    first = leg(1)
    legs.note(first)
    assert legs.get(first.leg_id) == first
    assert legs.current(first.call_id) == first.leg_id
    assert legs.get(leg(9).leg_id) is None
    assert legs.current("no-such-call") is None


def test_given_a_newer_offer_when_the_old_leg_is_forgotten_then_the_call_keeps_the_newer_one(
    legs: LegDirectory,
) -> None:
    old, new = leg(1), leg(2)
    legs.note(old)
    legs.note(new)
    legs.forget(old)
    assert legs.get(old.leg_id) is None
    assert legs.current(new.call_id) == new.leg_id
    legs.forget(new)
    assert legs.current(new.call_id) is None
