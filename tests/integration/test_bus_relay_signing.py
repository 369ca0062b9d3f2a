"""Relay messages are signed: forged or unsigned messages published on the real Redis are dropped and logged.

Whoever can publish on the relay's channels without the nodes' shared secret can neither show a screen-pop
on an agent's desktop nor put an event on another node's bus.
"""

from __future__ import annotations

import asyncio
import json
import logging

import pytest
import redis

from hotline.relay_signing import RelaySigner
from tests.integration.test_bus_relay import REDIS_URL, SECRET, drain, nodes, until, wait_for_events

pytestmark = [pytest.mark.redis, pytest.mark.timeout(60)]


def forgeries(channel: str, text: str) -> list[str]:
    """Ways to publish ``text`` on ``channel`` without the shared secret."""
    wrong_key = RelaySigner("not-the-secret").seal(channel, text)
    other_channel = RelaySigner(SECRET).seal(channel + "-elsewhere", text)
    tampered = RelaySigner(SECRET).seal(channel, text).replace('"1001"', '"1002"')
    return [text, wrong_key, other_channel, tampered, "v1..", "v1.zz." + text]


async def test_given_forged_events_on_the_bus_channel_when_published_then_ignored_and_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with nodes(REDIS_URL, 2) as (a, b):
        channel = a.relay.node_channel("x").rsplit(":node:", 1)[0] + ":bus"
        event = {"node": "intruder", "kind": "event", "topic": "agent.changed", "data": {"agent_id": "1001"}}
        raw = redis.Redis.from_url(REDIS_URL)
        with caplog.at_level(logging.ERROR, logger="hotline.bus_relay"):
            for forged in forgeries(channel, json.dumps(event)):
                assert raw.publish(channel, forged) == 2
            raw.close()
            a.bus.publish("agent.changed", {"agent_id": "genuine"})
            got = await wait_for_events(b.seen, 1)
        assert [(e.data["agent_id"], e.origin) for e in got] == [("genuine", a.relay.node_id)]
        await asyncio.sleep(0.2)
        assert await drain(b.seen) == []
        assert b.relay.rejected == 6
        assert any("forged" in r.getMessage() for r in caplog.records)


async def test_given_a_forged_screen_pop_request_when_sent_to_a_node_then_no_desktop_shows_it() -> None:
    async with nodes(REDIS_URL, 2) as (a, b):
        tab = a.open_desktop("1001")
        await until(lambda: b.desktops.nodes_with_desktop("1001"))
        channel = a.relay.node_channel(a.relay.node_id)
        body = {"request": "r1", "agent_id": "1001", "payload": {"call_id": "fake", "caller": "110"}}
        raw = redis.Redis.from_url(REDIS_URL)
        for forged in forgeries(channel, json.dumps({"node": "intruder", "kind": "offer", "body": body})):
            raw.publish(channel, forged)
        raw.close()
        payload: dict[str, object] = {"call_id": "real", "agent_id": "1001", "caller": "13800138000"}
        assert await b.desktops.deliver_offer("1001", payload) == 1
        assert [f["call"] for f in tab.of("offer")] == [payload]
        assert a.relay.rejected >= 6
