"""Chat frames to the other app nodes: a citizen's socket or an agent's desktop may be on any node.

The chat layer writes each frame to this node's sockets itself and hands it here too (``send``); the
frames go out in order, by one task, on the Redis channel ``<prefix>:chat:frames``, and every other
node writes them to its own sockets of that citizen (``to`` = ``citizen``, ``key`` = chat session) or
agent (``to`` = ``agent``, ``key`` = agent id). A node ignores its own frames coming back. Messages are
signed with the nodes' shared secret (hotline.relay_signing); a forged one is dropped.

Sending never waits for Redis: frames wait in a bounded queue (the oldest dropped beyond it) while the
link is down. A lost listening connection is retried with backoff (0.1 s up to 5 s), logged once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from redis.asyncio import Redis

from hotline.bus_relay import FIRST_BACKOFF_S, MAX_BACKOFF_S, LinkErrors, new_node_id, redis_client
from hotline.redis_listening import close_within, next_message
from hotline.relay_signing import RelaySigner

__all__ = ["ChatFanout"]

log = logging.getLogger(__name__)

ToCitizen = Callable[[str, dict[str, Any]], Awaitable[None]]
ToAgent = Callable[[str, dict[str, Any]], int]


class ChatFanout:
    """This node's link to the chat sockets of the other nodes (see the module docstring)."""

    def __init__(
        self, *, client: Redis, listener: Redis, prefix: str, secret: str, buffer: int = 10_000
    ) -> None:
        self.node_id = new_node_id()
        self.client = client
        self._listener = listener
        self._signer = RelaySigner(secret)
        self.channel = f"{prefix.rstrip(':')}:chat:frames"
        self._out: asyncio.Queue[str] = asyncio.Queue(maxsize=buffer)
        self.ready = asyncio.Event()
        self.dropped = 0

    @classmethod
    def from_url(cls, url: str, *, prefix: str, secret: str) -> ChatFanout:
        """A fan-out over the Redis at ``url`` with its own sending and listening connections."""
        return cls(client=redis_client(url), listener=redis_client(url), prefix=prefix, secret=secret)

    def send(self, to: str, key: str, frame: dict[str, Any]) -> None:
        """Queue ``frame`` for the other nodes' sockets of citizen chat ``key`` or agent ``key``."""
        text = json.dumps({"node": self.node_id, "to": to, "key": key, "frame": frame}, ensure_ascii=False)
        if self._out.full():
            self._out.get_nowait()
            self.dropped += 1
        self._out.put_nowait(text)

    async def run(self, *, to_citizen: ToCitizen, to_agent: ToAgent) -> None:
        """Publish this node's frames and deliver the other nodes' until cancelled."""
        publishing = asyncio.create_task(self._publish_forever())
        try:
            await self._listen_forever(to_citizen, to_agent)
        finally:
            publishing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await publishing
            for conn in (self.client, self._listener):
                await close_within(conn.aclose(), what="chat fan-out")

    async def _publish_forever(self) -> None:
        while True:
            text = await self._out.get()
            delay = FIRST_BACKOFF_S
            while True:
                try:
                    await self.client.publish(self.channel, self._signer.seal(self.channel, text))
                    break
                except LinkErrors as exc:
                    if delay == FIRST_BACKOFF_S:
                        log.warning("chat frames not sent to other nodes (%s); retrying", exc)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, MAX_BACKOFF_S)

    async def _listen_forever(self, to_citizen: ToCitizen, to_agent: ToAgent) -> None:
        delay, failing = FIRST_BACKOFF_S, False
        while True:
            pubsub = self._listener.pubsub()
            try:
                await pubsub.subscribe(self.channel)
                self.ready.set()
                if failing:
                    log.warning("chat frames from other nodes heard again")
                delay, failing = FIRST_BACKOFF_S, False
                while True:
                    message = await next_message(pubsub, timeout_s=5.0)
                    if message is not None:
                        await self._deliver(message.get("data"), to_citizen, to_agent)
            except LinkErrors as exc:
                self.ready.clear()
                if not failing:
                    log.warning("chat frames from other nodes not heard (%s); retrying", exc)
                failing = True
                await asyncio.sleep(delay)
                delay = min(delay * 2, MAX_BACKOFF_S)
            finally:
                await close_within(pubsub.aclose(), what="chat fan-out listener")

    async def _deliver(self, raw: object, to_citizen: ToCitizen, to_agent: ToAgent) -> None:
        text = self._signer.open(self.channel, raw)
        if text is None:
            log.error("unsigned or forged chat frame dropped")
            return
        message = json.loads(text)
        frame, key = message.get("frame"), message.get("key")
        if message.get("node") == self.node_id or not isinstance(frame, dict) or not isinstance(key, str):
            return
        if message.get("to") == "citizen":
            await to_citizen(key, frame)
        elif message.get("to") == "agent":
            to_agent(key, frame)
