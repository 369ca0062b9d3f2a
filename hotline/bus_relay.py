"""Relays bus events between app nodes that share one Redis, and carries messages from node to node.

Several app nodes share one Redis and one Asterisk; each has its own in-process bus (hotline.bus). The
relay makes what one node's ACD, IVR or call control publishes visible to the desktops on every node.

Redis pub/sub channels under the prefix: ``<prefix>:bus`` carries relayed events, ``<prefix>:node:<id>``
the messages addressed to one node (screen-pop requests and acks, liveness pings). Every message is a
JSON object naming the node that sent it, signed with the nodes' shared secret (hotline.relay_signing);
an unsigned or forged message is dropped and logged.

Rules:

- Only events published on this node are relayed: the relay reads a local-only bus subscription, and
  events from other nodes enter the local bus through ``EventBus.deliver_foreign``, which local-only
  subscribers never see. A node also ignores its own messages coming back. No echo, no loop.
- Relayed topics: ``agent.``, ``call.``, ``queue.``, except ``call.fallback*``, which every node reads
  from the shared Asterisk itself.
- Publishing never waits for Redis. The relay drains a bounded subscription in its own task; while
  Redis is unreachable, events wait there (the oldest dropped beyond the bound) and go out in order
  once it is back.
- Events that may have been missed are announced as ``bus.relay_gap`` on the local bus (desktops then
  resynchronise from the shared ACD state): after the listening connection was lost, and when another
  node dropped events it could not relay.
- A lost connection is retried with exponential backoff (0.1 s up to 5 s) and logged once per outage.
  A listening connection that stays silent for three ping intervals (it pings itself) counts as lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import secrets
import socket
import time
from collections.abc import Callable
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from hotline.bus import RELAY_GAP, BusEvent, EventBus, Subscription
from hotline.redis_listening import close_within, next_message
from hotline.relay_signing import RelaySigner
from hotline.stopping import stop_tasks
from privacy.masking import for_log

log = logging.getLogger(__name__)

RELAYED_PREFIXES = ("agent.", "call.", "queue.")
NOT_RELAYED_PREFIXES = ("call.fallback",)
FIRST_BACKOFF_S = 0.1
MAX_BACKOFF_S = 5.0

Handler = Callable[[str, dict[str, Any]], None]
"""Receives (sending node id, message body) for one kind of node-to-node message."""

LinkErrors = (RedisError, OSError)


def new_node_id() -> str:
    """A node id unique per process: host, pid and a random suffix."""
    return f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"


def relayed(topic: str) -> bool:
    """Whether events of ``topic`` go to the other nodes."""
    return topic.startswith(RELAYED_PREFIXES) and not topic.startswith(NOT_RELAYED_PREFIXES)


def redis_client(url: str) -> Redis:
    """A client that reports connection errors at once (the relay does its own retrying)."""
    return Redis.from_url(
        url,
        decode_responses=True,
        retry=Retry(NoBackoff(), 0),
        socket_connect_timeout=2.0,
        socket_timeout=5.0,
        socket_keepalive=True,
    )


class BusRelay:
    """One node's link to the other nodes: relays bus events, sends and dispatches direct messages."""

    def __init__(
        self,
        *,
        bus: EventBus,
        client: Redis,
        listener: Redis,
        prefix: str,
        secret: str,
        node_id: str = "",
        ping_interval_s: float = 2.0,
        buffer: int = 10_000,
    ) -> None:
        self.node_id = node_id or new_node_id()
        self.client = client
        self._listener = listener
        self._bus = bus
        self._signer = RelaySigner(secret)
        self._prefix = prefix.rstrip(":")
        self._bus_channel = f"{self._prefix}:bus"
        self._ping_interval_s = ping_interval_s
        self._buffer = buffer
        self._handlers: dict[str, Handler] = {}
        self._sub: Subscription | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._listening = asyncio.Event()
        self.relayed = 0
        self.received = 0
        self.rejected = 0

    @classmethod
    def from_url(
        cls, url: str, *, bus: EventBus, prefix: str, secret: str, ping_interval_s: float = 2.0
    ) -> BusRelay:
        """A relay on ``url`` (``redis://host:port/db``) with its own command and listening connections;
        ``secret`` is shared by every node and signs their messages."""
        return cls(
            bus=bus,
            client=redis_client(url),
            listener=redis_client(url),
            prefix=prefix,
            secret=secret,
            ping_interval_s=ping_interval_s,
        )

    def node_channel(self, node_id: str) -> str:
        """The channel of messages addressed to ``node_id``."""
        return f"{self._prefix}:node:{node_id}"

    @property
    def listening(self) -> bool:
        """True while this node is subscribed and so receives the other nodes' events."""
        return self._listening.is_set()

    @property
    def stopped(self) -> bool:
        """True once every background task of the relay has ended (after ``close``)."""
        return all(task.done() for task in self._tasks)

    @property
    def backlog(self) -> int:
        """Events published here and not yet sent to Redis."""
        return self._sub.pending if self._sub is not None else 0

    def on_message(self, kind: str, handler: Handler) -> None:
        """Call ``handler`` for each direct message of ``kind`` from another node."""
        self._handlers[kind] = handler

    async def send(self, node_id: str, kind: str, body: dict[str, Any]) -> int:
        """Send a direct message; returns how many listeners got it (0: that node is not listening).

        Raises the Redis error when Redis is unreachable.
        """
        text = json.dumps({"node": self.node_id, "kind": kind, "body": body}, ensure_ascii=False, default=str)
        channel = self.node_channel(node_id)
        receivers: int = await self.client.publish(channel, self._signer.seal(channel, text))
        return receivers

    async def start(self, wait_s: float = 2.0) -> None:
        """Start relaying; wait up to ``wait_s`` for the subscription (Redis may come later)."""
        self._sub = self._bus.subscribe(*RELAYED_PREFIXES, maxsize=self._buffer)
        self._tasks = [
            asyncio.create_task(self._forward_forever(self._sub)),
            asyncio.create_task(self._listen_forever()),
        ]
        try:
            await asyncio.wait_for(self._listening.wait(), wait_s)
        except TimeoutError:
            log.warning("bus relay: not subscribed after %.1f s; still trying", wait_s)

    async def close(self) -> None:
        """Stop relaying and close both connections."""
        if self._sub is not None:
            self._sub.close()
        await stop_tasks(self._tasks, what="bus relay")
        for client in (self.client, self._listener):
            await close_within(client.aclose(), what="bus relay")

    # -- outbound --------------------------------------------------------------------------------

    async def _forward_forever(self, sub: Subscription) -> None:
        while True:
            event = await sub.get()
            if event.topic == "bus.overflow":
                message: dict[str, Any] = {"kind": "gap", "dropped": event.data.get("dropped")}
            elif relayed(event.topic):
                message = {"kind": "event", "topic": event.topic, "data": dict(event.data), "at": event.at}
            else:
                continue
            message["node"] = self.node_id
            await self._publish_until_sent(json.dumps(message, ensure_ascii=False, default=str))
            self.relayed += 1

    async def _publish_until_sent(self, text: str) -> None:
        delay, failing = FIRST_BACKOFF_S, False
        while True:
            try:
                await self.client.publish(self._bus_channel, self._signer.seal(self._bus_channel, text))
            except LinkErrors as exc:
                if not failing:
                    log.warning("bus relay: cannot publish (%s); events wait, retrying", exc)
                failing = True
                await asyncio.sleep(delay)
                delay = min(delay * 2, MAX_BACKOFF_S)
                continue
            if failing:
                log.warning("bus relay: publishing again")
            return

    # -- inbound ---------------------------------------------------------------------------------

    async def _listen_forever(self) -> None:
        delay, lost = FIRST_BACKOFF_S, False
        while True:
            pubsub = self._listener.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self._bus_channel, self.node_channel(self.node_id))
                self._listening.set()
                if lost:
                    log.warning("bus relay: listening again; desktops resynchronise")
                    self._deliver(RELAY_GAP, {"node": self.node_id, "reason": "reconnected"})
                delay, lost = FIRST_BACKOFF_S, False
                await self._pump(pubsub)
            except LinkErrors as exc:
                if not lost:
                    log.warning("bus relay: connection lost (%s); retrying", exc)
                lost = True
            finally:
                self._listening.clear()
                await close_within(pubsub.aclose(), what="bus relay listener")
            await asyncio.sleep(delay)
            delay = min(delay * 2, MAX_BACKOFF_S)

    async def _pump(self, pubsub: PubSub) -> None:
        """Dispatch messages until the connection fails or falls silent."""
        heard = pinged = time.monotonic()
        ping: asyncio.Task[None] | None = None
        try:
            while True:
                message = await next_message(pubsub, timeout_s=self._ping_interval_s)
                now = time.monotonic()
                if message is not None:
                    heard = now
                    self._dispatch(message.get("channel"), message.get("data"))
                if now - heard > 3 * self._ping_interval_s:
                    raise ConnectionError(f"no message for {now - heard:.1f} s, not even our own ping")
                if now - pinged >= self._ping_interval_s and (ping is None or ping.done()):
                    pinged = now
                    ping = asyncio.create_task(self._ping())
        finally:
            if ping is not None:
                ping.cancel()

    async def _ping(self) -> None:
        """Publish to our own channel: hearing it proves the listening connection is alive."""
        with contextlib.suppress(*LinkErrors):
            await self.send(self.node_id, "ping", {})

    def _verified(self, channel: object, raw: object) -> dict[str, Any] | None:
        """The message if it is signed with the shared secret and well formed; else None (logged)."""
        text = self._signer.open(str(channel), raw)
        if text is None:
            self.rejected += 1
            if self.rejected & (self.rejected - 1) == 0:
                log.error(
                    "bus relay: unsigned or forged message on %s dropped (%d so far)", channel, self.rejected
                )
            return None
        try:
            message = json.loads(text)
        except ValueError:
            message = None
        if not isinstance(message, dict) or not isinstance(message.get("node"), str) or not message["node"]:
            log.error("bus relay: malformed message ignored: %.200s", for_log(raw))
            return None
        return message

    def _dispatch(self, channel: object, raw: object) -> None:
        message = self._verified(channel, raw)
        if message is None:
            return
        node, kind = message["node"], message.get("kind")
        if node == self.node_id:
            return
        self.received += 1
        if kind == "event":
            try:
                self._relayed_event(node, message)
            except Exception:  # one bad message must not stop the relay
                log.exception("bus relay: event from %s failed: %.200s", node, for_log(message))
        elif kind == "gap":
            self._deliver(RELAY_GAP, {"node": node, "reason": "dropped", "dropped": message.get("dropped")})
        elif isinstance(kind, str) and kind in self._handlers and isinstance(message.get("body"), dict):
            try:
                self._handlers[kind](node, message["body"])
            except Exception:  # one bad message must not stop the relay
                log.exception("bus relay: %s from %s failed", kind, node)
        else:
            log.error("bus relay: unknown message %.40r from %s ignored", kind, node)

    def _relayed_event(self, node: str, message: dict[str, Any]) -> None:
        topic, data, at = message.get("topic"), message.get("data"), message.get("at")
        if not isinstance(topic, str) or not relayed(topic) or not isinstance(data, dict):
            log.error("bus relay: malformed event from %s ignored: %.200s", node, for_log(message))
            return
        when = float(at) if isinstance(at, int | float) else time.time()
        self._bus.deliver_foreign(BusEvent(topic, data, when, origin=node))

    def _deliver(self, topic: str, data: dict[str, Any]) -> None:
        self._bus.deliver_foreign(BusEvent(topic, data, origin=str(data["node"])))
