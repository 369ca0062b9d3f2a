"""Sign-in throttling: exponential, bounded backoff per user id and per client address.

Every sign-in attempt is counted *before* the password is checked, in one atomic step with the check of
the lockout, so parallel guesses cannot slip past it; a successful sign-in forgets the user's count and
takes its own attempt back from the address's count. A key with ``n`` counted attempts, the last at
``last``, is locked until ``last + min(cap, base * 2 ** (n - free))`` once ``n >= free``; a locked key
refuses every attempt (the right password included) without counting it. Keys are forgotten
``window_s`` after their last attempt.

Two stores hold the counts: one in this process, and one in Redis (a Lua script) that several app nodes
share.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import redis.asyncio as aioredis

from hotline.redis_listening import close_within

Clock = Callable[[], float]


@dataclass(frozen=True, slots=True)
class ThrottleRule:
    """How many attempts are free, and how the lockout grows after them."""

    free: int
    base_s: float = 1.0
    cap_s: float = 900.0


USER_RULE = ThrottleRule(free=5)
ADDRESS_RULE = ThrottleRule(free=30)
WINDOW_S = 3600.0


def locked_for(rule: ThrottleRule, *, attempts: int, last: float, now: float) -> float:
    """Seconds until a key with ``attempts`` counted (the last at ``last``) admits again; 0 if it does."""
    if attempts < rule.free:
        return 0.0
    until = last + min(rule.cap_s, rule.base_s * 2.0 ** min(attempts - rule.free, 64))
    return max(until - now, 0.0)


Keyed = Sequence[tuple[str, ThrottleRule]]


class ThrottleStore(Protocol):
    """Where attempt counts live."""

    async def attempt(self, keys: Keyed, *, now: float) -> float:
        """Count an attempt on every key and return 0, or return the longest lockout without counting."""

    async def succeeded(self, forget: str, take_back: str) -> None:
        """Drop the count of ``forget`` and take one attempt back from ``take_back``."""


class MemoryThrottleStore:
    """Counts in this process (one app node); at most ``max_keys`` keys, the least recent dropped."""

    def __init__(self, *, window_s: float = WINDOW_S, max_keys: int = 100_000) -> None:
        self._window_s = window_s
        self._max_keys = max_keys
        self._counts: dict[str, tuple[int, float]] = {}

    async def attempt(self, keys: Keyed, *, now: float) -> float:
        """See :class:`ThrottleStore`."""
        current = {key: self._current(key, now) for key, _ in keys}
        wait = max(locked_for(rule, attempts=current[k][0], last=current[k][1], now=now) for k, rule in keys)
        if wait > 0:
            return wait
        for key, _ in keys:
            self._counts.pop(key, None)
            self._counts[key] = (current[key][0] + 1, now)
        while len(self._counts) > self._max_keys:
            del self._counts[next(iter(self._counts))]
        return 0.0

    def _current(self, key: str, now: float) -> tuple[int, float]:
        attempts, last = self._counts.get(key, (0, 0.0))
        if attempts and now - last > self._window_s:
            del self._counts[key]
            return 0, 0.0
        return attempts, last

    async def succeeded(self, forget: str, take_back: str) -> None:
        """See :class:`ThrottleStore`."""
        self._counts.pop(forget, None)
        attempts, last = self._counts.get(take_back, (0, 0.0))
        if attempts > 0:
            self._counts[take_back] = (attempts - 1, last)


_ATTEMPT = """
local now = tonumber(ARGV[1])
local window_ms = tonumber(ARGV[2])
local wait = 0
for i, key in ipairs(KEYS) do
  local row = redis.call('HMGET', key, 'n', 'last')
  local n = tonumber(row[1] or '0')
  local last = tonumber(row[2] or '0')
  local free = tonumber(ARGV[3 * i])
  if n >= free then
    local lock = tonumber(ARGV[3 * i + 1]) * 2 ^ math.min(n - free, 64)
    lock = math.min(tonumber(ARGV[3 * i + 2]), lock)
    if last + lock - now > wait then wait = last + lock - now end
  end
end
if wait > 0 then return tostring(wait) end
for _, key in ipairs(KEYS) do
  redis.call('HINCRBY', key, 'n', 1)
  redis.call('HSET', key, 'last', ARGV[1])
  redis.call('PEXPIRE', key, window_ms)
end
return '0'
"""

_SUCCEEDED = """
redis.call('DEL', KEYS[1])
if tonumber(redis.call('HGET', KEYS[2], 'n') or '0') > 0 then
  redis.call('HINCRBY', KEYS[2], 'n', -1)
end
return 1
"""


class RedisThrottleStore:
    """Counts in Redis, shared by every app node (hashes ``<prefix>:<key>`` with ``n`` and ``last``)."""

    def __init__(self, client: aioredis.Redis, *, prefix: str, window_s: float = WINDOW_S) -> None:
        self._client = client
        self._prefix = prefix
        self._window_ms = int(window_s * 1000)
        self._attempt = client.register_script(_ATTEMPT)
        self._succeeded = client.register_script(_SUCCEEDED)

    @classmethod
    def from_url(cls, url: str, *, prefix: str) -> RedisThrottleStore:
        """A store on a new client for ``url``."""
        return cls(aioredis.Redis.from_url(url), prefix=prefix)

    async def attempt(self, keys: Keyed, *, now: float) -> float:
        """See :class:`ThrottleStore`."""
        args: list[str | float | int] = [repr(now), self._window_ms]
        for _, rule in keys:
            args += [rule.free, repr(rule.base_s), repr(rule.cap_s)]
        reply = await self._attempt(keys=[f"{self._prefix}:{k}" for k, _ in keys], args=args)
        return float(reply.decode() if isinstance(reply, bytes) else reply)

    async def succeeded(self, forget: str, take_back: str) -> None:
        """See :class:`ThrottleStore`."""
        await self._succeeded(keys=[f"{self._prefix}:{forget}", f"{self._prefix}:{take_back}"])

    async def close(self) -> None:
        """Close the client (bounded: a centre's stop must not hang on it)."""
        await close_within(self._client.aclose(), what="login throttle")


class LoginThrottle:
    """The per-user and per-address rules applied to one store."""

    def __init__(
        self,
        store: ThrottleStore | None = None,
        *,
        user_rule: ThrottleRule = USER_RULE,
        address_rule: ThrottleRule = ADDRESS_RULE,
        clock: Clock = time.time,
    ) -> None:
        self.store: ThrottleStore = store or MemoryThrottleStore()
        self._rules = (user_rule, address_rule)
        self._clock = clock

    async def attempt(self, user_id: str, address: str) -> float:
        """0 when the attempt may go ahead (it is counted), else the seconds to wait."""
        keys = ((f"user:{user_id}", self._rules[0]), (f"addr:{address}", self._rules[1]))
        return await self.store.attempt(keys, now=self._clock())

    async def succeeded(self, user_id: str, address: str) -> None:
        """The attempt was a successful sign-in."""
        await self.store.succeeded(f"user:{user_id}", f"addr:{address}")
