"""Where the guest grants (hotline.guest_service) live: in Redis when the centre has one, else in memory.

A citizen's page may reach any app node (a load balancer in front), and every node hears the same AMI
events of the shared Asterisk, so with several nodes a grant must be readable by all and each change
of a call must be made once. Rules:

- A grant is found by its status token, its guest endpoint (the user's latest grant) or its call id.
- ``start`` records the call of a grant only if it has none yet, ``finish`` ends it only once, and an
  outcome once set is never overwritten: each returns whether this caller made the change, so of the
  nodes handling one AMI event exactly one spends the password, writes the record or frees the slot.
- The password is never stored (only the page that asked for the credential gets it); grants read
  back carry an empty one.
- Redis keys expire ``keep_s`` after the credential does (the slot is held at most that long).
- ``claim`` reserves a guest endpoint for the moment an issue takes to write its password: of the
  issues on any node that picked the same free endpoint at one instant exactly one gets it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Protocol, cast

from redis.asyncio import Redis
from redis.commands.core import AsyncScript

from hotline.bus_relay import redis_client
from hotline.guest_pool import GuestCredential
from hotline.redis_listening import close_within

__all__ = ["Grant", "GrantStore", "MemoryGrants", "RedisGrants", "guest_grants"]


@dataclass(frozen=True, slots=True)
class Grant:
    """One credential handed to one page, and the call made with it (a snapshot)."""

    credential: GuestCredential
    token: str
    call_id: str = ""
    channel: str = ""
    started_at: float = 0.0
    answered: bool = False
    outcome: str = ""


class GrantStore(Protocol):
    """The grants of every app node (see the module docstring)."""

    async def add(self, grant: Grant) -> None:
        """Keep ``grant`` as its user's latest (an older grant of that user is no longer found by user)."""

    async def by_token(self, token: str) -> Grant | None:
        """The grant of a status token."""

    async def by_user(self, user: str) -> Grant | None:
        """The latest grant of a guest endpoint."""

    async def by_call(self, call_id: str) -> Grant | None:
        """The grant whose call is ``call_id``."""

    async def busy(self, users: Iterable[str]) -> frozenset[str]:
        """Those of ``users`` whose latest grant's call is going on."""

    async def start(self, token: str, *, call_id: str, channel: str, at: float) -> bool:
        """Record the grant's call; False when it has one already."""

    async def answer(self, token: str) -> None:
        """The grant's call reached an agent (ignored once it has an outcome)."""

    async def settle(self, token: str, outcome: str) -> bool:
        """Set the outcome if none is set yet; whether this call set it."""

    async def finish(self, token: str) -> Grant | None:
        """The call hung up: the outcome (if none yet: answered or left) and the grant as ended, to
        the one caller that ended it; the user's latest grant is no longer this one."""

    async def drop_unused(self, user: str) -> None:
        """The user's latest grant is forgotten by user if it made no call (its credential expired)."""

    async def claim(self, user: str, *, hold_s: float) -> bool:
        """Reserve guest endpoint ``user`` for ``hold_s`` seconds; False when it is reserved already."""

    async def release(self, user: str) -> None:
        """End the reservation of ``user`` (its issue failed)."""

    async def forget_stale(self, now: float) -> None:
        """Drop grants ``keep_s`` past their credential's expiry (Redis expires them by itself)."""

    async def close(self) -> None:
        """Release the store's connections."""


class MemoryGrants:
    """Grants of a centre with one app node."""

    def __init__(self, *, keep_s: float) -> None:
        self._keep_s = keep_s
        self._by_token: dict[str, Grant] = {}
        self._by_user: dict[str, str] = {}
        self._ended: set[str] = set()
        self._claims: dict[str, float] = {}

    async def add(self, grant: Grant) -> None:
        old = self._by_user.get(grant.credential.user)
        if old is not None:
            self._by_token.pop(old, None)
        self._by_token[grant.token] = replace(grant, credential=replace(grant.credential, password=""))
        self._by_user[grant.credential.user] = grant.token

    async def by_token(self, token: str) -> Grant | None:
        return self._by_token.get(token)

    async def by_user(self, user: str) -> Grant | None:
        token = self._by_user.get(user)
        return None if token is None else self._by_token.get(token)

    async def by_call(self, call_id: str) -> Grant | None:
        return next((g for g in self._by_token.values() if call_id and g.call_id == call_id), None)

    async def busy(self, users: Iterable[str]) -> frozenset[str]:
        grants = [await self.by_user(u) for u in users]
        return frozenset(g.credential.user for g in grants if g and g.call_id and not g.outcome)

    async def start(self, token: str, *, call_id: str, channel: str, at: float) -> bool:
        grant = self._by_token.get(token)
        if grant is None or grant.call_id:
            return False
        self._by_token[token] = replace(grant, call_id=call_id, channel=channel, started_at=at)
        return True

    async def answer(self, token: str) -> None:
        grant = self._by_token.get(token)
        if grant is not None and not grant.outcome:
            self._by_token[token] = replace(grant, answered=True)

    async def settle(self, token: str, outcome: str) -> bool:
        grant = self._by_token.get(token)
        if grant is None or grant.outcome:
            return False
        self._by_token[token] = replace(grant, outcome=outcome)
        return True

    async def finish(self, token: str) -> Grant | None:
        grant = self._by_token.get(token)
        if grant is None or token in self._ended:
            return None
        self._ended.add(token)
        if not grant.outcome:
            grant = replace(grant, outcome="answered" if grant.answered else "left")
            self._by_token[token] = grant
        if self._by_user.get(grant.credential.user) == token:
            del self._by_user[grant.credential.user]
        return grant

    async def drop_unused(self, user: str) -> None:
        grant = await self.by_user(user)
        if grant is not None and not grant.call_id:
            del self._by_user[user]

    async def claim(self, user: str, *, hold_s: float) -> bool:
        now = time.monotonic()
        if self._claims.get(user, 0.0) > now:
            return False
        self._claims[user] = now + hold_s
        return True

    async def release(self, user: str) -> None:
        self._claims.pop(user, None)

    async def forget_stale(self, now: float) -> None:
        stale = [t for t, g in self._by_token.items() if g.credential.expires_at + self._keep_s < now]
        for token in stale:
            del self._by_token[token]
            self._ended.discard(token)

    async def close(self) -> None:
        return None


START = """
if redis.call('EXISTS', KEYS[1]) == 0 or redis.call('HGET', KEYS[1], 'call_id') then return 0 end
redis.call('HSET', KEYS[1], 'call_id', ARGV[1], 'channel', ARGV[2], 'started_at', ARGV[3])
redis.call('SET', KEYS[2], ARGV[4], 'EX', ARGV[5])
return 1
"""
ANSWER = """
if redis.call('EXISTS', KEYS[1]) == 1 and not redis.call('HGET', KEYS[1], 'outcome') then
  redis.call('HSET', KEYS[1], 'answered', '1')
end
return 1
"""
FINISH = """
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
if redis.call('HSETNX', KEYS[1], 'ended', '1') == 0 then return false end
if not redis.call('HGET', KEYS[1], 'outcome') then
  local answered = redis.call('HGET', KEYS[1], 'answered')
  redis.call('HSET', KEYS[1], 'outcome', answered and 'answered' or 'left')
end
local user = redis.call('HGET', KEYS[1], 'user')
local latest = KEYS[2] .. user
if redis.call('GET', latest) == ARGV[1] then redis.call('DEL', latest) end
return redis.call('HGETALL', KEYS[1])
"""
DROP_UNUSED = """
local token = redis.call('GET', KEYS[1])
if token and not redis.call('HGET', ARGV[1] .. token, 'call_id') then redis.call('DEL', KEYS[1]) end
return 1
"""


class RedisGrants:
    """Grants shared by the app nodes of one Redis prefix: hashes ``<prefix>:guest:t:<token>``,
    ``<prefix>:guest:u:<user>`` -> latest token, ``<prefix>:guest:c:<call id>`` -> token,
    ``<prefix>:guest:claim:<user>`` while an issue reserves the endpoint."""

    def __init__(self, client: Redis, *, prefix: str, keep_s: float, clock: Callable[[], float] = time.time):
        self._client = client
        self._keep_s = keep_s
        self._clock = clock
        base = f"{prefix.rstrip(':')}:guest"
        self._t, self._u, self._c = f"{base}:t:", f"{base}:u:", f"{base}:c:"
        self._claim_key = f"{base}:claim:"
        self._start: AsyncScript = client.register_script(START)
        self._answer: AsyncScript = client.register_script(ANSWER)
        self._finish: AsyncScript = client.register_script(FINISH)
        self._drop_unused: AsyncScript = client.register_script(DROP_UNUSED)

    def _ttl(self, grant_expires_at: float) -> int:
        return max(1, int(grant_expires_at + self._keep_s - self._clock()))

    async def add(self, grant: Grant) -> None:
        ttl = self._ttl(grant.credential.expires_at)
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.hset(self._t + grant.token, "user", grant.credential.user)
            pipe.hset(self._t + grant.token, "expires_at", repr(grant.credential.expires_at))
            pipe.expire(self._t + grant.token, ttl)
            pipe.set(self._u + grant.credential.user, grant.token, ex=ttl)
            await pipe.execute()

    async def by_token(self, token: str) -> Grant | None:
        row = cast(dict[str, str], await self._client.hgetall(self._t + token))
        return _grant(token, row)

    async def by_user(self, user: str) -> Grant | None:
        token = await self._client.get(self._u + user)
        return None if token is None else await self.by_token(str(token))

    async def by_call(self, call_id: str) -> Grant | None:
        token = await self._client.get(self._c + call_id) if call_id else None
        return None if token is None else await self.by_token(str(token))

    async def busy(self, users: Iterable[str]) -> frozenset[str]:
        grants = [await self.by_user(u) for u in users]
        return frozenset(g.credential.user for g in grants if g and g.call_id and not g.outcome)

    async def start(self, token: str, *, call_id: str, channel: str, at: float) -> bool:
        grant = await self.by_token(token)
        if grant is None:
            return False
        args = (call_id, channel, repr(at), token, self._ttl(grant.credential.expires_at))
        return bool(await self._start(keys=(self._t + token, self._c + call_id), args=args))

    async def answer(self, token: str) -> None:
        await self._answer(keys=(self._t + token,), args=())

    async def settle(self, token: str, outcome: str) -> bool:
        if not await self._client.exists(self._t + token):
            return False
        return bool(await self._client.hsetnx(self._t + token, "outcome", outcome))

    async def finish(self, token: str) -> Grant | None:
        flat = await self._finish(keys=(self._t + token, self._u), args=(token,))
        if not flat:
            return None
        items = [str(x) for x in cast(list[object], flat)]
        return _grant(token, dict(zip(items[::2], items[1::2], strict=True)))

    async def drop_unused(self, user: str) -> None:
        await self._drop_unused(keys=(self._u + user,), args=(self._t,))

    async def claim(self, user: str, *, hold_s: float) -> bool:
        hold_ms = max(1, int(hold_s * 1000))
        return bool(await self._client.set(self._claim_key + user, "1", nx=True, px=hold_ms))

    async def release(self, user: str) -> None:
        await self._client.delete(self._claim_key + user)

    async def forget_stale(self, now: float) -> None:
        return None

    async def close(self) -> None:
        await close_within(self._client.aclose(), what="guest grants")


def guest_grants(redis_url: str, *, prefix: str, keep_s: float) -> GrantStore:
    """The grants of a centre: shared over ``redis_url`` when given, else in this process."""
    if not redis_url:
        return MemoryGrants(keep_s=keep_s)
    return RedisGrants(redis_client(redis_url), prefix=prefix, keep_s=keep_s)


def _grant(token: str, row: Mapping[str, str]) -> Grant | None:
    if "user" not in row:
        return None
    credential = GuestCredential(user=row["user"], password="", expires_at=float(row["expires_at"]))
    return Grant(
        credential=credential,
        token=token,
        call_id=row.get("call_id", ""),
        channel=row.get("channel", ""),
        started_at=float(row.get("started_at", "0")),
        answered=row.get("answered") == "1",
        outcome=row.get("outcome", ""),
    )
