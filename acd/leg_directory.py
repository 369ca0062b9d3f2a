"""Which agent leg rings for which offer, readable by every app node, so an offer outlives the node that
rang it.

A node keeps its agent legs in memory (``acd.legs``) and settles each one itself: the answer, the ring
running out, an outcome lost on the way. When that node dies mid-ring, nobody else knew the leg: the
caller stayed "offered" for good (hold music, no agent) and an agent who answered talked on a call the
records never saw answered. So the node that rings a leg notes it here (the leg, its call, agent,
caller channel and Asterisk node, and that it is the call's current leg), and forgets it when the leg
is done. Every node hears the leg's channel appear on AMI; if the call is still offered on that leg
well after the ringing node would have settled it, another node adopts the leg and settles it from
Asterisk's view (``acd.legs.LegKeeper.adopt_leg``).

In Redis (several app nodes) under the ACD store's prefix, ``leg:<leg id>`` and ``offer-leg:<call
id>``, each expiring after ``KEEP_S`` as a backstop; in memory with a single node, where no other
node could adopt anything.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Protocol

import redis

from acd.store import AcdStore
from acd.store_redis import RedisStore

__all__ = ["KEEP_S", "LegDirectory", "LegRecord", "MemoryLegs", "RedisLegs", "leg_directory"]

KEEP_S = 4 * 3600
"""How long a record outlives a node that never forgot it (a call that long is unheard of)."""

FORGET = """
redis.call('DEL', KEYS[1])
if redis.call('GET', KEYS[2]) == ARGV[1] then redis.call('DEL', KEYS[2]) end
return 1
"""


@dataclass(frozen=True, slots=True)
class LegRecord:
    """An agent leg rung for an offer."""

    leg_id: str
    call_id: str
    agent_id: str
    caller_channel: str
    node: str


class LegDirectory(Protocol):
    """The agent legs of every app node (see the module docstring)."""

    def note(self, record: LegRecord) -> None:
        """``record``'s leg rings for its call's current offer."""

    def get(self, leg_id: str) -> LegRecord | None:
        """The record of ``leg_id``, if it is still noted."""

    def current(self, call_id: str) -> str | None:
        """The leg of the call's latest offer, if noted."""

    def forget(self, record: LegRecord) -> None:
        """The leg is done (and no longer the call's current leg, unless a newer one is)."""


class MemoryLegs:
    """The legs of a centre with one app node."""

    def __init__(self) -> None:
        self._legs: dict[str, LegRecord] = {}
        self._current: dict[str, str] = {}

    def note(self, record: LegRecord) -> None:
        self._legs[record.leg_id] = record
        self._current[record.call_id] = record.leg_id

    def get(self, leg_id: str) -> LegRecord | None:
        return self._legs.get(leg_id)

    def current(self, call_id: str) -> str | None:
        return self._current.get(call_id)

    def forget(self, record: LegRecord) -> None:
        self._legs.pop(record.leg_id, None)
        if self._current.get(record.call_id) == record.leg_id:
            del self._current[record.call_id]


class RedisLegs:
    """The legs of the app nodes sharing one ACD store in Redis."""

    def __init__(self, client: redis.Redis, *, prefix: str) -> None:
        self._r = client
        self._leg = f"{prefix.rstrip(':')}:leg:"
        self._offer = f"{prefix.rstrip(':')}:offer-leg:"
        self._forget = client.register_script(FORGET)

    def note(self, record: LegRecord) -> None:
        pipe = self._r.pipeline(transaction=True)
        pipe.set(self._leg + record.leg_id, json.dumps(asdict(record)), ex=KEEP_S)
        pipe.set(self._offer + record.call_id, record.leg_id, ex=KEEP_S)
        pipe.execute()

    def get(self, leg_id: str) -> LegRecord | None:
        raw = self._r.get(self._leg + leg_id)
        if not isinstance(raw, str):
            return None
        fields = json.loads(raw)
        return LegRecord(**{k: str(fields.get(k, "")) for k in LegRecord.__slots__})

    def current(self, call_id: str) -> str | None:
        raw = self._r.get(self._offer + call_id)
        return raw if isinstance(raw, str) else None

    def forget(self, record: LegRecord) -> None:
        self._forget(keys=(self._leg + record.leg_id, self._offer + record.call_id), args=(record.leg_id,))


def leg_directory(store: AcdStore) -> LegDirectory:
    """Shared through the store's Redis when it has one, else in this process."""
    if isinstance(store, RedisStore):
        return RedisLegs(store.r, prefix=store.prefix)
    return MemoryLegs()
