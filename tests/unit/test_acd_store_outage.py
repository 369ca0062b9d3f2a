"""AMI events held back while the ACD store is unreachable, applied in order when it answers again."""

from __future__ import annotations

import asyncio

import pytest
import redis

from acd.store_outage import StoreOutage
from hotline.ami.messages import AmiEvent

pytestmark = pytest.mark.timeout(10)


class Store:
    """A store that is away until told otherwise; records what was applied."""

    def __init__(self) -> None:
        self.away = False
        self.applied: list[str] = []

    def apply(self, event: AmiEvent) -> None:
        if self.away:
            raise redis.ConnectionError("Connection refused")
        self.applied.append(event["Uniqueid"])


def event(uid: str) -> AmiEvent:
    return AmiEvent({"Event": "Hangup", "Uniqueid": uid})


async def test_given_the_store_away_when_events_arrive_then_they_wait_in_order_and_apply_once_back() -> None:
    store, outage = Store(), StoreOutage(retry_s=0.01)
    handler = outage.guard(store.apply)
    handler(event("a"))
    store.away = True

    handler(event("b"))
    handler(event("c"))
    assert outage.healthy is False
    await asyncio.sleep(0.05)
    assert store.applied == ["a"]

    store.away = False
    for _ in range(100):
        if outage.healthy:
            break
        await asyncio.sleep(0.01)
    handler(event("d"))

    assert store.applied == ["a", "b", "c", "d"]
    await outage.close()


async def test_given_a_long_outage_when_the_backlog_is_full_then_the_oldest_events_go_first() -> None:
    store, outage = Store(), StoreOutage(retry_s=10, limit=2)
    store.away = True
    handler = outage.guard(store.apply)
    for uid in "abc":
        handler(event(uid))
    store.away = False

    outage.drain()

    assert store.applied == ["b", "c"]
    assert outage.dropped == 1
    await outage.close()


async def test_given_a_handler_bug_while_draining_then_that_event_is_skipped_and_the_rest_applied() -> None:
    store, outage = Store(), StoreOutage(retry_s=10)
    store.away = True

    def picky(e: AmiEvent) -> None:
        if e["Uniqueid"] == "bad" and not store.away:
            raise ValueError("bug")
        store.apply(e)

    handler = outage.guard(picky)
    for uid in ("x", "bad", "y"):
        handler(event(uid))
    store.away = False

    outage.drain()

    assert store.applied == ["x", "y"]
    assert outage.healthy
    await outage.close()
