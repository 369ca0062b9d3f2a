"""The stores that let several app nodes share chat offers and guest grants, in memory and in real Redis:
the same rules hold for both (chat.pending_offers, hotline.guest_grants)."""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator

import pytest

from chat.pending_offers import STALE_S, MemoryPendingOffers, Offer, PendingOffers, RedisPendingOffers
from hotline.bus_relay import redis_client
from hotline.guest_grants import Grant, GrantStore, MemoryGrants, RedisGrants
from hotline.guest_pool import GuestCredential
from tests.redis_keys import drop_prefix

pytestmark = [pytest.mark.redis, pytest.mark.timeout(30)]

REDIS_URL = os.environ.get("HOTLINE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
NOW = 1_800_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["memory", "redis"])
async def offers(request: pytest.FixtureRequest) -> AsyncIterator[tuple[PendingOffers, Clock]]:
    clock = Clock()
    if request.param == "memory":
        yield MemoryPendingOffers(clock), clock
        return
    prefix = f"hotline:test:{secrets.token_hex(4)}"
    client = redis_client(REDIS_URL)
    try:
        yield RedisPendingOffers(client, prefix=prefix, clock=clock), clock
    finally:
        await client.aclose()
        drop_prefix(REDIS_URL, prefix)


async def test_given_an_offer_then_only_the_one_named_is_taken_and_only_once(
    offers: tuple[PendingOffers, Clock],
) -> None:
    store, _ = offers
    first = Offer("1001", False, "o1", NOW + 30)
    assert await store.put("chat-1", first)
    assert await store.get("chat-1") == first
    assert await store.take("chat-1", agent_id="1002") is None
    assert await store.take("chat-1", offer_id="other") is None
    taken = await asyncio.gather(*(store.take("chat-1", agent_id="1001") for _ in range(5)))
    assert [t for t in taken if t is not None] == [first]
    assert await store.get("chat-1") is None


async def test_given_an_open_offer_then_a_join_is_refused_but_the_acds_offer_replaces_it(
    offers: tuple[PendingOffers, Clock],
) -> None:
    store, clock = offers
    assert await store.put("chat-2", Offer("1001", True, "o1", NOW + 30), only_new=True)
    assert not await store.put("chat-2", Offer("1002", True, "o2", NOW + 30), only_new=True)
    replaced = Offer("1003", False, "o3", NOW + 30)
    assert await store.put("chat-2", replaced)
    assert await store.all() == {"chat-2": replaced}
    assert await store.take("chat-2", offer_id="o1") is None, "the replaced offer's timer finds nothing"
    clock.now = NOW + 30 + STALE_S + 1
    assert await store.get("chat-2") is None, "an offer its node never lapsed counts as gone"
    assert await store.all() == {}
    assert await store.put("chat-2", Offer("1004", True, "o4", clock.now + 30), only_new=True)


async def test_given_refusals_then_they_are_kept_per_chat_until_it_is_forgotten(
    offers: tuple[PendingOffers, Clock],
) -> None:
    store, _ = offers
    await store.decline("chat-3", "1001")
    await store.decline("chat-3", "1002")
    await store.decline("chat-4", "1001")
    await store.put("chat-3", Offer("1003", True, "o1", NOW + 30))
    assert await store.declined() == {"chat-3": frozenset({"1001", "1002"}), "chat-4": frozenset({"1001"})}
    await store.forget("chat-3")
    assert await store.declined() == {"chat-4": frozenset({"1001"})}
    assert await store.get("chat-3") is None


@pytest.fixture(params=["memory", "redis"])
async def grants(request: pytest.FixtureRequest) -> AsyncIterator[GrantStore]:
    if request.param == "memory":
        yield MemoryGrants(keep_s=60.0)
        return
    prefix = f"hotline:test:{secrets.token_hex(4)}"
    store = RedisGrants(redis_client(REDIS_URL), prefix=prefix, keep_s=60.0)
    try:
        yield store
    finally:
        await store.close()
        drop_prefix(REDIS_URL, prefix)


def _grant(user: str, token: str) -> Grant:
    return Grant(GuestCredential(user=user, password="secret", expires_at=NOW + 300), token=token)


async def test_given_a_grant_when_nodes_race_on_its_call_then_each_change_is_made_once(
    grants: GrantStore,
) -> None:
    await grants.add(_grant("sg01", "t" * 32))
    found = await grants.by_token("t" * 32)
    assert found is not None
    assert (found.credential.user, found.credential.password, found.call_id) == ("sg01", "", "")
    started = await asyncio.gather(
        *(grants.start("t" * 32, call_id="1700.1", channel="PJSIP/sg01-1", at=NOW + i) for i in range(4))
    )
    assert sorted(started) == [False, False, False, True]
    call = await grants.by_call("1700.1")
    assert call is not None
    assert (call.token, call.channel) == ("t" * 32, "PJSIP/sg01-1")
    assert await grants.busy(["sg01", "sg02"]) == frozenset({"sg01"})
    await grants.answer("t" * 32)
    ended = await asyncio.gather(*(grants.finish("t" * 32) for _ in range(3)))
    winners = [g for g in ended if g is not None]
    assert len(winners) == 1
    assert (winners[0].outcome, winners[0].answered) == ("answered", True)
    assert await grants.by_user("sg01") is None
    assert await grants.busy(["sg01"]) == frozenset()
    assert not await grants.settle("t" * 32, "no_agent"), "an outcome is never overwritten"


async def test_given_a_new_grant_of_a_user_then_the_user_finds_the_new_one_and_unused_ones_are_dropped(
    grants: GrantStore,
) -> None:
    await grants.add(_grant("sg02", "a" * 32))
    await grants.add(_grant("sg02", "b" * 32))
    latest = await grants.by_user("sg02")
    assert latest is not None
    assert latest.token == "b" * 32
    assert await grants.settle("b" * 32, "no_agent")
    assert not await grants.settle("b" * 32, "left")
    assert not await grants.start("missing-token-000000000", call_id="x", channel="y", at=NOW)
    await grants.drop_unused("sg02")
    assert await grants.by_user("sg02") is None
    assert await grants.by_token("b" * 32) is not None, "the page still reads its grant by token"


async def test_given_issues_racing_for_one_guest_endpoint_then_one_claims_it_until_released(
    grants: GrantStore,
) -> None:
    won = await asyncio.gather(*(grants.claim("sg03", hold_s=30.0) for _ in range(4)))
    assert sorted(won) == [False, False, False, True]
    assert await grants.claim("sg04", hold_s=30.0), "another endpoint is not reserved"
    await grants.release("sg03")
    assert await grants.claim("sg03", hold_s=0.2)
    await asyncio.sleep(0.3)
    assert await grants.claim("sg03", hold_s=30.0), "a reservation ends by itself"
