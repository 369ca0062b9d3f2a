"""Desktops on every app node: screen-pops across nodes that share one Redis.

An agent's desktop may be connected to any node while another node's ACD decides the offer. The
deciding node calls :meth:`CrossNodeDesktops.deliver_offer` (the ACD's offer notifier): it writes the
pop to its own desktops of the agent and, at the same time, asks every other node that has a desktop
of that agent open to do the same over the relay (hotline.bus_relay); each answers with how many
desktops got it. The ACD bounds the whole wait (the pop is never later than the ring), so a slow node
delays a ring by at most that bound, and a node that is gone none at all (a request that reaches no
listener is answered at once). Offers are only ever written by ``deliver_offer``; the relayed
``agent.offer`` event is not routed to desktops (see agent_desktop.hub), so each pop arrives once.

Presence: ``<prefix>:desk:<agent_id>`` is a sorted set of node ids scored by when the entry expires.
A node adds itself when a user's first desktop opens there, removes itself when the last one closes,
and refreshes its entries every ``refresh_s`` (which also rewrites them after a Redis outage); a node
that died drops out after ``ttl_s``. Writes happen in a background task, never on the caller's path.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Coroutine
from typing import Any

from agent_desktop.hub import DesktopHub
from hotline.bus import EventBus
from hotline.bus_relay import FIRST_BACKOFF_S, MAX_BACKOFF_S, BusRelay, LinkErrors
from hotline.settings import Settings
from hotline.stopping import stop_tasks
from privacy.masking import for_log

log = logging.getLogger(__name__)

OFFER = "offer"
OFFER_ACK = "offer_ack"


class CrossNodeDesktops:
    """The offer notifier of a node among several; keeps this node's desktop presence in Redis."""

    def __init__(
        self,
        *,
        hub: DesktopHub,
        relay: BusRelay,
        prefix: str,
        ttl_s: float = 30.0,
        refresh_s: float = 10.0,
        local_wait_s: float = 5.0,
    ) -> None:
        self.relay = relay
        self._hub = hub
        self._prefix = prefix.rstrip(":")
        self._ttl_s = ttl_s
        self._refresh_s = refresh_s
        self._local_wait_s = local_wait_s
        self._pending: dict[str, asyncio.Future[int]] = {}
        self._dirty: set[str] = set()
        self._wake = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        hub.watch_presence(self._presence_changed)
        relay.on_message(OFFER, self._on_offer)
        relay.on_message(OFFER_ACK, self._on_ack)

    def presence_key(self, user_id: str) -> str:
        """The sorted set of nodes where ``user_id`` has a desktop open."""
        return f"{self._prefix}:desk:{user_id}"

    async def start(self) -> None:
        """Start the relay and the presence writer."""
        await self.relay.start()
        self._dirty.update(self._hub.users())
        self._spawn(self._sync_presence_forever())

    async def close(self) -> None:
        """Withdraw this node's presence (best effort), stop background work and the relay."""
        await stop_tasks(tuple(self._tasks), what="cross-node desktops")
        with contextlib.suppress(TimeoutError, *LinkErrors):
            await asyncio.wait_for(
                self._write_presence(self._dirty | set(self._hub.users()), present=False), 1.0
            )
        await self.relay.close()

    # -- offers ----------------------------------------------------------------------------------

    async def deliver_offer(self, agent_id: str, payload: dict[str, object]) -> int:
        """Send the screen-pop to every desktop of ``agent_id`` on any node; return how many got it."""
        here, elsewhere = await asyncio.gather(
            self._hub.deliver_offer(agent_id, payload), self._deliver_elsewhere(agent_id, payload)
        )
        return here + elsewhere

    async def _deliver_elsewhere(self, agent_id: str, payload: dict[str, object]) -> int:
        try:
            nodes = await self.nodes_with_desktop(agent_id)
            if not nodes:
                return 0
            request = uuid.uuid4().hex
            loop = asyncio.get_running_loop()
            acks = {node: loop.create_future() for node in nodes}
            self._pending.update({f"{request}:{node}": ack for node, ack in acks.items()})
            try:
                body = {"request": request, "agent_id": agent_id, "payload": payload}
                heard = await asyncio.gather(*(self.relay.send(node, OFFER, body) for node in nodes))
                for node, listeners in zip(nodes, heard, strict=True):
                    if listeners == 0 and not acks[node].done():
                        acks[node].set_result(0)
                return sum(await asyncio.gather(*acks.values()))
            finally:
                for node in nodes:
                    self._pending.pop(f"{request}:{node}", None)
        except LinkErrors as exc:
            log.warning("screen-pop for %s not sent to other nodes: %s", agent_id, exc)
            return 0

    async def nodes_with_desktop(self, user_id: str) -> list[str]:
        """The other nodes where ``user_id`` has a desktop open (entries not yet expired)."""
        nodes = await self.relay.client.zrangebyscore(self.presence_key(user_id), time.time(), "+inf")
        return [str(node) for node in nodes if node != self.relay.node_id]

    def _on_offer(self, node: str, body: dict[str, Any]) -> None:
        request, agent_id, payload = body.get("request"), body.get("agent_id"), body.get("payload")
        if not isinstance(request, str) or not isinstance(agent_id, str) or not isinstance(payload, dict):
            log.error("malformed screen-pop request from %s ignored: %.200s", node, for_log(body))
            return
        self._spawn(self._answer_offer(node, request, agent_id, payload))

    async def _answer_offer(self, node: str, request: str, agent_id: str, payload: dict[str, object]) -> None:
        try:
            delivered = await asyncio.wait_for(self._hub.deliver_offer(agent_id, payload), self._local_wait_s)
        except TimeoutError:
            delivered = 0
        try:
            await self.relay.send(node, OFFER_ACK, {"request": request, "delivered": delivered})
        except LinkErrors as exc:
            log.warning("screen-pop ack to %s lost: %s", node, exc)

    def _on_ack(self, node: str, body: dict[str, Any]) -> None:
        request, delivered = body.get("request"), body.get("delivered")
        ack = self._pending.get(f"{request}:{node}")
        if ack is not None and not ack.done():
            ack.set_result(delivered if isinstance(delivered, int) else 0)

    # -- presence --------------------------------------------------------------------------------

    def _presence_changed(self, user_id: str, _count: int) -> None:
        self._dirty.add(user_id)
        self._wake.set()

    async def _sync_presence_forever(self) -> None:
        delay, failing = FIRST_BACKOFF_S, False
        next_refresh = time.monotonic() + self._refresh_s
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), max(next_refresh - time.monotonic(), 0.0))
            self._wake.clear()
            if time.monotonic() >= next_refresh:
                self._dirty.update(self._hub.users())
                next_refresh = time.monotonic() + self._refresh_s
            users, self._dirty = self._dirty, set()
            try:
                await self._write_presence(users)
            except LinkErrors as exc:
                if not failing:
                    log.warning("desktop presence not written (%s); retrying", exc)
                failing = True
                self._dirty |= users | set(self._hub.users())
                await asyncio.sleep(delay)
                delay = min(delay * 2, MAX_BACKOFF_S)
                self._wake.set()
                continue
            if failing:
                log.warning("desktop presence written again")
            delay, failing = FIRST_BACKOFF_S, False

    async def _write_presence(self, users: set[str], *, present: bool = True) -> None:
        if not users:
            return
        node, until = self.relay.node_id, time.time() + self._ttl_s
        async with self.relay.client.pipeline(transaction=False) as pipe:
            for user in users:
                key = self.presence_key(user)
                if present and self._hub.connections_of(user) > 0:
                    pipe.zremrangebyscore(key, "-inf", time.time())
                    pipe.zadd(key, {node: until})
                    pipe.expire(key, int(self._ttl_s) + 1)
                else:
                    pipe.zrem(key, node)
            await pipe.execute()

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


def cross_node_desktops(
    settings: Settings, *, bus: EventBus, hub: DesktopHub, ami_secret: str
) -> CrossNodeDesktops | None:
    """Desktops shared across nodes when the centre runs on a shared Redis, else None (one node).

    Relay messages are signed with ``HOTLINE_RELAY_SECRET``, or without it with the AMI secret, which
    every node of one Asterisk shares.
    """
    if not settings.redis_url:
        return None
    secret = settings.relay_secret.get_secret_value() or ami_secret
    relay = BusRelay.from_url(settings.redis_url, bus=bus, prefix=settings.redis_prefix, secret=secret)
    return CrossNodeDesktops(hub=hub, relay=relay, prefix=settings.redis_prefix)
