"""Chat offers not yet answered, seen by every app node: in Redis when the centre has one, else in memory.

An offer names the chat (session id), the agent, whether it is a further chat for an agent already on
chats (``join``), its own random ``offer_id`` and when it lapses (``until``, epoch seconds). Rules:

- ``put`` replaces the chat's offer (the ACD's first offer); with ``only_new`` it is refused while the
  chat is offered already, so that two nodes picking further offers at once make one of them.
- ``take`` removes the offer only if it is still the one named (by agent and/or offer id), in one
  atomic step: an accept on one node and the lapse timer on another cannot both win.
- An offer past ``until`` by more than ``STALE_S`` counts as gone (its node died before lapsing it).
- ``declined``: per chat, the agents who declined it or let a further offer lapse (not offered again).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Protocol, cast

from redis.asyncio import Redis
from redis.commands.core import AsyncScript

__all__ = ["STALE_S", "MemoryPendingOffers", "Offer", "PendingOffers", "RedisPendingOffers"]

STALE_S = 30.0


@dataclass(frozen=True, slots=True)
class Offer:
    """A chat offered to ``agent_id`` and not yet answered."""

    agent_id: str
    join: bool
    offer_id: str
    until: float

    def matches(self, agent_id: str | None, offer_id: str | None) -> bool:
        """Whether this is the offer named (``None`` names any)."""
        return agent_id in (None, self.agent_id) and offer_id in (None, self.offer_id)


class PendingOffers(Protocol):
    """Where the chat layer keeps its open offers (see the module docstring)."""

    async def put(self, session_id: str, offer: Offer, *, only_new: bool = False) -> bool:
        """Offer the chat; False when ``only_new`` and it is offered already."""

    async def get(self, session_id: str) -> Offer | None:
        """The chat's open offer."""

    async def take(
        self, session_id: str, *, agent_id: str | None = None, offer_id: str | None = None
    ) -> Offer | None:
        """Remove and return the chat's offer if it is the one named, else None."""

    async def all(self) -> dict[str, Offer]:
        """Every open offer by chat."""

    async def decline(self, session_id: str, agent_id: str) -> None:
        """``agent_id`` is not offered the chat again."""

    async def declined(self) -> dict[str, frozenset[str]]:
        """Per chat, the agents not to offer it to."""

    async def forget(self, session_id: str) -> None:
        """The chat ended: drop its offer and its refusals."""


def _live(offer: Offer | None, now: float) -> Offer | None:
    return offer if offer is not None and offer.until + STALE_S > now else None


class MemoryPendingOffers:
    """Open offers of a centre with one app node."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._offers: dict[str, Offer] = {}
        self._declined: dict[str, frozenset[str]] = {}

    async def put(self, session_id: str, offer: Offer, *, only_new: bool = False) -> bool:
        if only_new and await self.get(session_id) is not None:
            return False
        self._offers[session_id] = offer
        return True

    async def get(self, session_id: str) -> Offer | None:
        return _live(self._offers.get(session_id), self._clock())

    async def take(
        self, session_id: str, *, agent_id: str | None = None, offer_id: str | None = None
    ) -> Offer | None:
        offer = self._offers.get(session_id)
        if offer is None or not offer.matches(agent_id, offer_id):
            return None
        del self._offers[session_id]
        return offer

    async def all(self) -> dict[str, Offer]:
        now = self._clock()
        return {sid: o for sid, o in self._offers.items() if _live(o, now) is not None}

    async def decline(self, session_id: str, agent_id: str) -> None:
        self._declined[session_id] = self._declined.get(session_id, frozenset()) | {agent_id}

    async def declined(self) -> dict[str, frozenset[str]]:
        return dict(self._declined)

    async def forget(self, session_id: str) -> None:
        self._offers.pop(session_id, None)
        self._declined.pop(session_id, None)


TAKE = """
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return false end
local offer = cjson.decode(raw)
if (ARGV[2] ~= '' and offer['agent_id'] ~= ARGV[2]) or (ARGV[3] ~= '' and offer['offer_id'] ~= ARGV[3]) then
  return false
end
redis.call('HDEL', KEYS[1], ARGV[1])
return raw
"""
PUT_NEW = """
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if raw and cjson.decode(raw)['until'] + tonumber(ARGV[4]) > tonumber(ARGV[3]) then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
"""


class RedisPendingOffers:
    """Open offers shared by the app nodes of one Redis prefix: hashes ``<prefix>:chat:offers``
    (chat -> offer JSON) and ``<prefix>:chat:declined`` (``<chat> <agent>`` -> 1)."""

    def __init__(self, client: Redis, *, prefix: str, clock: Callable[[], float] = time.time) -> None:
        self._client = client
        self._clock = clock
        prefix = prefix.rstrip(":")
        self._offers = f"{prefix}:chat:offers"
        self._declined = f"{prefix}:chat:declined"
        self._take: AsyncScript = client.register_script(TAKE)
        self._put_new: AsyncScript = client.register_script(PUT_NEW)

    async def put(self, session_id: str, offer: Offer, *, only_new: bool = False) -> bool:
        text = json.dumps(asdict(offer))
        if not only_new:
            await self._client.hset(self._offers, session_id, text)
            return True
        args = (session_id, text, self._clock(), STALE_S)
        return bool(await self._put_new(keys=(self._offers,), args=args))

    async def get(self, session_id: str) -> Offer | None:
        raw = await self._client.hget(self._offers, session_id)
        return _live(_offer(raw), self._clock())

    async def take(
        self, session_id: str, *, agent_id: str | None = None, offer_id: str | None = None
    ) -> Offer | None:
        args = (session_id, agent_id or "", offer_id or "")
        return _offer(await self._take(keys=(self._offers,), args=args))

    async def all(self) -> dict[str, Offer]:
        rows = cast(dict[str, str], await self._client.hgetall(self._offers))
        now = self._clock()
        found = {sid: _live(_offer(raw), now) for sid, raw in rows.items()}
        return {sid: offer for sid, offer in found.items() if offer is not None}

    async def decline(self, session_id: str, agent_id: str) -> None:
        await self._client.hset(self._declined, f"{session_id} {agent_id}", "1")

    async def declined(self) -> dict[str, frozenset[str]]:
        out: dict[str, frozenset[str]] = {}
        for key in cast(list[str], await self._client.hkeys(self._declined)):
            session_id, _, agent_id = key.partition(" ")
            out[session_id] = out.get(session_id, frozenset()) | {agent_id}
        return out

    async def forget(self, session_id: str) -> None:
        keys = cast(list[str], await self._client.hkeys(self._declined))
        mine = [k for k in keys if k.partition(" ")[0] == session_id]
        async with self._client.pipeline(transaction=False) as pipe:
            pipe.hdel(self._offers, session_id)
            if mine:
                pipe.hdel(self._declined, *mine)
            await pipe.execute()


def _offer(raw: object) -> Offer | None:
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8")
    if not isinstance(raw, str):
        return None
    data = json.loads(raw)
    return Offer(
        agent_id=str(data["agent_id"]),
        join=bool(data["join"]),
        offer_id=str(data["offer_id"]),
        until=float(data["until"]),
    )
