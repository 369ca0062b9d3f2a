"""The bus relay and cross-node screen-pops on the real Redis: no echo, no loss of the publisher's pace.

Redis is reached with ``HOTLINE_TEST_REDIS_URL`` (default: the local server, database 0); every test
uses its own prefix and deletes its keys afterwards. The outage test runs its own ``redis-server``.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import shutil
import subprocess
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
import redis

from agent_desktop.auth import Principal, Role
from agent_desktop.cross_node import CrossNodeDesktops
from agent_desktop.hub import Connection, DesktopHub
from hotline.bus import RELAY_GAP, BusEvent, EventBus, Subscription
from hotline.bus_relay import BusRelay, redis_client
from hotline.relay_signing import RelaySigner
from tests.conftest import free_port
from tests.integration.calls import eventually
from tests.redis_keys import drop_prefix

pytestmark = [pytest.mark.redis, pytest.mark.timeout(60)]

REDIS_URL = os.environ.get("HOTLINE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
DESKTOP_TOPICS = ("agent.", "call.", "queue.", RELAY_GAP)
SECRET = "test-relay-secret"


class Socket:
    """The frames written to one desktop connection."""

    def __init__(self) -> None:
        self.frames: list[dict[str, object]] = []

    async def send_text(self, text: str) -> None:
        self.frames.append(json.loads(text))

    def of(self, kind: str) -> list[dict[str, object]]:
        """Frames of type ``kind``."""
        return [f for f in self.frames if f.get("type") == kind]


class Node:
    """One app node's bus, hub and cross-node desktops on a shared Redis prefix."""

    def __init__(self, url: str, prefix: str, *, ping_interval_s: float = 2.0) -> None:
        self.bus = EventBus()
        self.hub = DesktopHub(self.bus)
        relay = BusRelay.from_url(
            url, bus=self.bus, prefix=prefix, secret=SECRET, ping_interval_s=ping_interval_s
        )
        self.desktops = CrossNodeDesktops(hub=self.hub, relay=relay, prefix=prefix)
        self.relay = relay
        self.seen = self.bus.subscribe(*DESKTOP_TOPICS, foreign=True)
        self.local_only = self.bus.subscribe(*DESKTOP_TOPICS)
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        self._tasks.append(asyncio.create_task(self.hub.run()))
        await self.desktops.start()

    def open_desktop(self, user: str, role: Role = Role.AGENT) -> Socket:
        socket = Socket()
        conn = Connection(Principal(user_id=user, role=role, expires_at=1e12), socket.send_text)
        self.hub.add(conn)
        self._tasks.append(asyncio.create_task(conn.run_writer()))
        return socket

    async def close(self) -> None:
        await self.desktops.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


async def drain(sub: Subscription) -> list[BusEvent]:
    """Every event queued on ``sub`` right now."""
    return [await sub.get() for _ in range(sub.pending)]


async def wait_for_events(
    sub: Subscription, count: int, timeout: float = 5.0, keep: Callable[[BusEvent], bool] = lambda e: True
) -> list[BusEvent]:
    """The next ``count`` events on ``sub`` that ``keep`` accepts."""
    got: list[BusEvent] = []
    async with asyncio.timeout(timeout):
        while len(got) < count:
            event = await sub.get()
            if keep(event):
                got.append(event)
    return got


@asynccontextmanager
async def nodes(url: str, count: int, **options: float) -> AsyncIterator[list[Node]]:
    """``count`` started nodes on a fresh prefix; the prefix's keys are deleted afterwards."""
    prefix = f"test:relay:{secrets.token_hex(6)}"
    made = [Node(url, prefix, **options) for _ in range(count)]
    try:
        for node in made:
            await node.start()
        yield made
    finally:
        for node in made:
            await node.close()
        drop_prefix(url, prefix)


async def test_given_three_nodes_when_one_publishes_then_each_other_gets_it_once_and_nothing_echoes() -> None:
    async with nodes(REDIS_URL, 3) as (a, b, c):
        a.bus.publish("agent.changed", {"agent_id": "1001", "status": "available"})
        a.bus.publish("call.fallback", {"call_id": "x"})
        a.bus.publish("call.ivr_started", {"call_id": "c1"})
        a.bus.publish("queue.changed", {"queue": "general", "waiting": 1})
        for node in (b, c):
            got = await wait_for_events(node.seen, 3)
            assert [e.topic for e in got] == ["agent.changed", "call.ivr_started", "queue.changed"]
            assert {e.origin for e in got} == {a.relay.node_id}
        await asyncio.sleep(0.3)
        assert [e.topic for e in await drain(a.seen)] == [
            "agent.changed",
            "call.fallback",
            "call.ivr_started",
            "queue.changed",
        ], "a node must not get its own events back"
        assert await drain(b.seen) == []
        assert await drain(c.seen) == [], "a relayed event must not be relayed again"
        assert await drain(b.local_only) == []
        assert await drain(c.local_only) == []
        assert (b.relay.relayed, c.relay.relayed) == (0, 0)


async def test_given_malformed_messages_on_the_channel_when_a_good_one_follows_then_it_still_arrives() -> (
    None
):
    async with nodes(REDIS_URL, 2) as (a, b):
        raw = redis.Redis.from_url(REDIS_URL)
        channel = f"{a.relay.node_channel('x').rsplit(':node:', 1)[0]}:bus"
        for junk in (
            "not json",
            "[]",
            '{"node": 7}',
            '{"node": "n", "kind": "event", "topic": "bus.overflow"}',
            '{"node": "", "kind": "event", "topic": "agent.changed", "data": {}, "at": 1.0}',
            '{"node": "n", "kind": "event", "topic": "call.fallback", "data": {}, "at": 1.0}',
            '{"node": "n", "kind": "event", "topic": "queue.changed", "data": [], "at": 1.0}',
            '{"node": "n", "kind": "offer", "body": "not an object"}',
            '{"node": "n", "kind": "event", "topic": "agent.changed", "data": {"agent_id": "junk"}, '
            '"at": "soon"}',
        ):
            raw.publish(channel, RelaySigner(SECRET).seal(channel, junk))
        raw.close()
        a.bus.publish("agent.changed", {"agent_id": "1001"})
        got = await wait_for_events(b.seen, 2)
        assert sorted((e.topic, e.data["agent_id"], e.origin) for e in got) == [
            ("agent.changed", "1001", a.relay.node_id),
            ("agent.changed", "junk", "n"),
        ]
        assert all(isinstance(e.at, float) for e in got)
        assert b.relay.listening


async def test_given_a_malformed_message_with_a_phone_number_when_logged_then_the_number_is_masked(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with nodes(REDIS_URL, 2) as (a, b):
        raw = redis.Redis.from_url(REDIS_URL)
        channel = f"{a.relay.node_channel('x').rsplit(':node:', 1)[0]}:bus"
        junk = '{"node": "n", "kind": "event", "topic": "call.fallback", "data": {"caller": "13800138000"}}'
        raw.publish(channel, RelaySigner(SECRET).seal(channel, junk))
        raw.close()
        a.bus.publish("agent.changed", {"agent_id": "1001"})
        await wait_for_events(b.seen, 1)

    logged = "\n".join(r.getMessage() for r in caplog.records if r.name == "hotline.bus_relay")
    assert "malformed" in logged
    assert "13800138000" not in logged
    assert "138****8000" in logged


async def test_given_desktop_on_other_node_when_offer_decided_then_delivered_once_within_the_bound() -> None:
    async with nodes(REDIS_URL, 2) as (a, b):
        tab = a.open_desktop("1001")
        supervisor = a.open_desktop("s1", Role.SUPERVISOR)
        await until(lambda: b.desktops.nodes_with_desktop("1001"))
        payload: dict[str, object] = {"call_id": "c1", "agent_id": "1001", "caller": "13800138000", "ivr": {}}
        started = time.monotonic()
        b.bus.publish("agent.offer", payload)
        delivered = await asyncio.wait_for(b.desktops.deliver_offer("1001", payload), 0.3)
        took = time.monotonic() - started
        assert delivered == 1
        b.bus.publish("agent.changed", {"agent_id": "1001", "state": "offered"})
        await eventually(lambda: tab.of("agent_changed"))
        await asyncio.sleep(0.2)
        assert len(tab.of("offer")) == 1, "the relayed agent.offer must not pop a second time"
        assert tab.of("offer")[0]["call"] == payload
        assert supervisor.of("offer") == []
        assert supervisor.of("agent_changed")
        timings = [took]
        for n in range(2, 31):
            started = time.monotonic()
            assert await b.desktops.deliver_offer("1001", {**payload, "call_id": f"c{n}"}) == 1
            timings.append(time.monotonic() - started)
        assert len(tab.of("offer")) == 30
        timings.sort()
        print(f"cross-node screen-pop acked: first {took * 1e3:.1f} ms, median {timings[15] * 1e3:.1f} ms")


async def test_given_no_desktop_anywhere_when_offer_then_answered_at_once() -> None:
    async with nodes(REDIS_URL, 2) as (_a, b):
        await b.desktops.nodes_with_desktop("1002")
        started = time.monotonic()
        assert await b.desktops.deliver_offer("1002", {"call_id": "c2"}) == 0
        assert time.monotonic() - started < 0.1, "well within the 0.3 s screen-pop bound"


async def test_given_presence_left_by_a_dead_node_when_offer_then_no_wait() -> None:
    async with nodes(REDIS_URL, 2) as (_a, b):
        client = redis.Redis.from_url(REDIS_URL)
        client.zadd(b.desktops.presence_key("1003"), {"dead-node": time.time() + 30})
        client.close()
        assert await b.desktops.nodes_with_desktop("1003") == ["dead-node"]
        started = time.monotonic()
        assert await b.desktops.deliver_offer("1003", {"call_id": "c3"}) == 0
        assert time.monotonic() - started < 0.1, "well within the 0.3 s screen-pop bound"


async def test_given_desktop_closed_when_presence_synced_then_node_no_longer_listed() -> None:
    async with nodes(REDIS_URL, 2) as (a, b):
        a.open_desktop("1004")
        await until(lambda: b.desktops.nodes_with_desktop("1004"))
        conn = next(iter(a.hub._by_user["1004"]))
        a.hub.remove(conn)
        await until(lambda: none_of(b.desktops.nodes_with_desktop("1004")))


async def until(probe: Callable[[], Awaitable[object]], timeout: float = 5.0) -> None:
    """Wait until ``probe()`` returns something truthy."""
    deadline = time.monotonic() + timeout
    while not await probe():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


async def none_of(pending: Awaitable[list[str]]) -> bool:
    """True when the awaited list is empty."""
    return not await pending


class RedisServer:
    """A private redis-server on one port, without persistence, that can be stopped and restarted."""

    def __init__(self, binary: str, workdir: Path) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._args = [
            binary,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--dir",
            str(workdir),
        ]
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self._proc = subprocess.Popen([*self._args, "--appendonly", "no"], stdout=subprocess.DEVNULL)
        client = redis.Redis(port=self.port)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)
        client.close()

    def stop(self) -> None:
        if self._proc is not None:
            self._proc.terminate()
            self._proc.wait(timeout=10)
            self._proc = None


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A private redis-server, stopped after the test."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    server = RedisServer(binary, tmp_path)
    server.start()
    yield server
    server.stop()


async def test_given_redis_restarts_when_events_published_then_publisher_never_waits_and_relay_recovers(
    own_redis: RedisServer,
) -> None:
    async with nodes(own_redis.url, 2, ping_interval_s=0.5) as (a, b):
        a.bus.publish("agent.changed", {"agent_id": "1001", "n": 0})
        await wait_for_events(b.seen, 1)
        own_redis.stop()
        await eventually(lambda: not b.relay.listening)
        slowest = 0.0
        for n in range(1, 201):
            started = time.perf_counter()
            a.bus.publish("agent.changed", {"agent_id": "1001", "n": n})
            slowest = max(slowest, time.perf_counter() - started)
            if n % 50 == 0:
                await asyncio.sleep(0.05)
        assert slowest < 0.05, f"a publish waited {slowest * 1e3:.1f} ms while Redis was down"
        assert a.relay.backlog >= 199, "events wait in the relay while Redis is down"
        own_redis.start()
        gap = await wait_for_events(b.seen, 1, timeout=20, keep=lambda e: e.topic == RELAY_GAP)
        assert gap[0].data["reason"] == "reconnected"
        await eventually(lambda: a.relay.relayed >= 201, timeout=20)
        a.bus.publish("agent.changed", {"agent_id": "1001", "n": "after"})
        after = await wait_for_events(b.seen, 1, timeout=10, keep=lambda e: e.data.get("n") == "after")
        assert after[0].origin == a.relay.node_id
        print(f"slowest publish while Redis was down: {slowest * 1e6:.0f} µs")


async def test_given_redis_stalls_when_listener_hears_nothing_then_it_reconnects_and_asks_for_resync(
    own_redis: RedisServer,
) -> None:
    async with nodes(own_redis.url, 2, ping_interval_s=0.3) as (a, b):
        stall = redis.Redis.from_url(own_redis.url)
        stall.client_pause(2000, all=True)
        stall.close()
        gap = await wait_for_events(b.seen, 1, timeout=10, keep=lambda e: e.topic == RELAY_GAP)
        assert gap[0].data["reason"] == "reconnected"
        a.bus.publish("queue.changed", {"queue": "general", "waiting": 2})
        after = await wait_for_events(b.seen, 1, timeout=5, keep=lambda e: e.topic == "queue.changed")
        assert after[0].origin == a.relay.node_id


async def test_given_nothing_listening_when_relay_client_used_then_error_at_once() -> None:
    client = redis_client(f"redis://127.0.0.1:{free_port()}/0")
    started = time.monotonic()
    with pytest.raises(redis.ConnectionError):
        await client.ping()
    await client.aclose()
    assert time.monotonic() - started < 1.0, "the relay does its own retrying"


async def test_given_events_still_going_out_when_a_node_closes_then_close_returns() -> None:
    async with nodes(REDIS_URL, 2) as (a, b):
        for round_ in range(5):
            for n in range(200):
                a.bus.publish("agent.changed", {"agent_id": f"{round_}-{n}"})
            await asyncio.sleep(0.001 * round_)
        async with asyncio.timeout(10):
            await a.relay.close()
        assert a.relay.stopped
        assert not a.relay.listening
        assert b.relay.listening
