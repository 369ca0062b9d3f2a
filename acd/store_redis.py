"""An :class:`acd.store.AcdStore` in Redis, shared by the engines of several app nodes.

How two engines sharing one Redis never offer one call to two agents, nor two calls to one agent:

- Every write of an agent or a call is one Lua script (acd.redis_lua.PUT) that checks the object's
  ``version`` is the one the engine read (compare-and-set), writes the object and moves its index
  entries (acd.indexes) in the same atomic step. A write based on a stale read raises StaleState
  and writes nothing, so an engine can never overwrite another engine's offer with an older copy.
- An offer is never a plain write: ``claim_offer`` runs acd.redis_lua.CLAIM, which checks, inside
  Redis, that the call is still WAITING and the agent still AVAILABLE + IDLE, then flips both to
  OFFERED, links them and removes both from the waiting/ready indexes, all in one script. Redis runs
  scripts one at a time, so of two engines claiming the same call (or agent) exactly one wins; the
  other gets a falsy Claim, reads again and moves on (acd.matching).
- ``put_agent_and_claim`` (an agent becoming ready, then its offer) is one script,
  acd.redis_lua.PUT_CLAIM_BEST: the same compare-and-set write, then the same claim, then the queue
  counters. The engine writes there the copy ``last_seen_agent`` keeps of what this store last
  read or wrote, so a decision is one round trip; if another engine wrote the agent since, the
  compare-and-set refuses the copy and the engine reads the agent and decides again.

Every writing script runs once per operation, retried with the same token when its reply is lost, and
only on the data the store has seen (an epoch key, the server's run id): acd.redis_once.

Layout under ``prefix``: ``a:<id>`` / ``c:<id>`` hashes (``v`` version, ``d`` JSON, the fields an
offer changes kept as separate hash fields so the claim needs no JSON re-encoding), ``agents`` /
``calls`` id sets, one sorted set per index (``waiting:<queue>`` and ``bucket:<queue>:<tier>`` are
lexicographic, the member encoding the offer order), ``levels:<skill>`` (every level
whose ``ready:<skill>:<level>`` index has members, and maybe more). Reads
are single round trips (a pipeline or a read-only script) wherever the engine reads in bulk. How one
agent or call is encoded there, and the scripts' arguments and replies: acd.redis_rows.
"""

from __future__ import annotations

import heapq
import json
from collections.abc import Iterator, Sequence
from typing import Any, cast

import redis
from redis.backoff import NoBackoff
from redis.commands.core import Script
from redis.retry import Retry

from acd import redis_lua
from acd.errors import StaleState
from acd.indexes import CLAIMED_KINDS, agent_entries, call_member, kind, member_call_id
from acd.model import Agent, AgentState, Call, CallState
from acd.redis_once import EpochChanged, OnceRunner
from acd.redis_rows import (
    AGENT_FIELDS,
    CALL_FIELDS,
    agent_fields,
    agent_from_row,
    agent_put_args,
    call_from_row,
    call_put_args,
    claimed,
    pairs,
)
from acd.store import AcdStore, Claim, copy_agent

PAGE = 16


class RedisStore(AcdStore):
    """ACD state in Redis under ``prefix``; ``client`` must decode responses (``decode_responses=True``)."""

    def __init__(self, client: redis.Redis, *, prefix: str = "hotline:acd") -> None:
        self.r = client
        self.prefix = prefix.rstrip(":") + ":"
        self._put = client.register_script(redis_lua.once(redis_lua.PUT))
        self._delete = client.register_script(redis_lua.once(redis_lua.DELETE))
        self._claim = client.register_script(redis_lua.once(redis_lua.CLAIM))
        self._claim_best = client.register_script(redis_lua.once(redis_lua.CLAIM_BEST))
        self._put_claim_best = client.register_script(redis_lua.once(redis_lua.PUT_CLAIM_BEST))
        self._heads = client.register_script(redis_lua.HEADS)
        self._ready_first = client.register_script(redis_lua.READY_FIRST)
        self._count_ready = client.register_script(redis_lua.COUNT_READY)
        self._queue_counts = client.register_script(redis_lua.QUEUE_COUNTS)
        self._seen: dict[str, Agent] = {}
        """A private copy of each agent as this store last read or wrote it (``last_seen_agent``)."""
        self._fresh: set[str] = set()
        """Agents read or written since the store last forgot its copies (``once.generation``)."""
        self.once = OnceRunner(client, self.prefix, forget=self._forget_copies)

    @classmethod
    def from_url(cls, url: str, *, prefix: str = "hotline:acd") -> RedisStore:
        """A store on a new client for ``url`` (``redis://host:port/db``).

        The client keeps one connection (engines use a store from one thread; the client locks it
        anyway) and speaks RESP2 unless the URL asks otherwise: taking a pooled connection checks
        its socket first, and redis-py parses RESP3 replies more slowly; both add up on a decision,
        which is a read and one script (see bench/acd_decisions.py). redis-py itself never retries: a
        write is retried by the store, with its operation token (acd.redis_once).
        """
        client = redis.Redis.from_url(
            url, decode_responses=True, protocol=2, single_connection_client=True, retry=Retry(NoBackoff(), 0)
        )
        return cls(client, prefix=prefix)

    def clear(self) -> int:
        """Delete every key under the prefix (tests, resets); returns how many."""
        self._seen.clear()
        keys = list(self.r.scan_iter(match=f"{self.prefix}*", count=1000))
        for i in range(0, len(keys), 500):
            self.r.delete(*keys[i : i + 500])
        self._forget_copies()
        self.once.forget_epoch()
        return len(keys)

    # -- agents ----------------------------------------------------------------------------------

    def get_agent(self, agent_id: str) -> Agent | None:
        """The agent, or None if it never logged in."""
        agent = agent_from_row(agent_id, self.r.hmget(self._a(agent_id), *AGENT_FIELDS))
        self._saw(agent_id, agent)
        return agent

    def last_seen_agent(self, agent_id: str) -> Agent | None:
        """A copy of the agent as this store last read or wrote it (no round trip); may be stale."""
        seen = self._seen.get(agent_id)
        return None if seen is None else copy_agent(seen)

    def put_agent(self, agent: Agent) -> None:
        """Write the agent if nobody wrote it since it was read (else StaleState)."""
        self._write(self._a(agent.agent_id), "agents", agent, agent_put_args(agent))

    def delete_agent(self, agent_id: str) -> None:
        """Forget the agent (no error if absent)."""
        self._seen.pop(agent_id, None)
        self._again_on_epoch(
            self._delete, [self._a(agent_id), self.prefix + "agents"], [self.prefix, agent_id]
        )

    def iter_agents(self) -> Iterator[Agent]:
        """Every agent."""
        return self._agents_for(sorted(cast(set[str], self.r.smembers(self.prefix + "agents"))))

    # -- calls -----------------------------------------------------------------------------------

    def get_call(self, call_id: str) -> Call | None:
        """The live call, or None."""
        return call_from_row(call_id, self.r.hmget(self._c(call_id), *CALL_FIELDS))

    def put_call(self, call: Call) -> None:
        """Write the call if nobody wrote it since it was read (else StaleState)."""
        self._write(self._c(call.call_id), "calls", call, call_put_args(call))

    def delete_call(self, call_id: str) -> None:
        """Forget the call (no error if absent)."""
        self._again_on_epoch(self._delete, [self._c(call_id), self.prefix + "calls"], [self.prefix, call_id])

    def iter_calls(self) -> Iterator[Call]:
        """Every live call."""
        return self._calls_for(sorted(cast(set[str], self.r.smembers(self.prefix + "calls"))))

    def waiting_calls(self, queue: str) -> Iterator[Call]:
        """WAITING calls of ``queue`` in offer order."""
        members = cast(list[str], self.r.zrange(f"{self.prefix}waiting:{queue}", 0, -1))
        return self._calls_for([member_call_id(m) for m in members])

    def head_calls(self, buckets: Sequence[tuple[str, int]]) -> list[Call | None]:
        """The first WAITING call of each (queue, tier), in one script call."""
        if not buckets:
            return []
        keys = [f"{self.prefix}bucket:{q}:{t}" for q, t in buckets]
        rows = cast(list[list[Any]], self._heads(keys=keys, args=[self.prefix]))
        return [call_from_row(row[0], row[1:]) if row else None for row in rows]

    def count_waiting(self, queue: str) -> int:
        """How many calls wait in ``queue``."""
        return int(self.r.zcard(f"{self.prefix}waiting:{queue}"))

    def position(self, call: Call) -> int:
        """0-based place of the WAITING ``call`` in its queue; -1 if not waiting."""
        if call.state is not CallState.WAITING:
            return -1
        rank = self.r.zrank(f"{self.prefix}waiting:{call.queue}", call_member(call))
        return -1 if rank is None else int(cast(int, rank))

    # -- readiness and counters ------------------------------------------------------------------

    def ready_agents(self, skill: str, min_level: int = 1) -> Iterator[Agent]:
        """Ready agents with ``skill`` at ``min_level`` or above, longest idle first (paged, lazy)."""
        first = cast(list[list[Any]], self._ready_first(args=[self.prefix, skill, min_level, PAGE]))
        readers = [self._paged(f"{self.prefix}ready:{skill}:{level}", page) for level, page in first]
        ids = (member for _, member in heapq.merge(*readers))
        return self._agents_lazily(ids)

    def count_ready(self, skill: str, min_level: int = 1) -> int:
        """How many AVAILABLE + IDLE agents have ``skill`` at ``min_level`` or above."""
        return int(cast(int, self._count_ready(args=[self.prefix, skill, min_level])))

    def count_staffed(self, skill: str) -> int:
        """How many logged-in agents have ``skill``."""
        return int(self.r.zcard(f"{self.prefix}staffed:{skill}"))

    def queue_counts(self, items: Sequence[tuple[str, str, int]]) -> list[tuple[int, int]]:
        """(waiting, ready) per (queue, skill, min_level), in one script call."""
        if not items:
            return []
        args: list[str | int] = [self.prefix, *(x for item in items for x in item)]
        return pairs(cast(list[int], self._queue_counts(args=args)))

    def wrapups_due(self, now: float) -> list[str]:
        """Agents whose wrap-up ends at or before ``now``, earliest first."""
        return cast(list[str], self.r.zrangebyscore(self.prefix + "wrapup", "-inf", now))

    def calls_due(self, now: float) -> list[str]:
        """WAITING calls whose next step is due at or before ``now``, earliest first."""
        return cast(list[str], self.r.zrangebyscore(self.prefix + "due", "-inf", now))

    def due_now(self, now: float) -> tuple[list[str], list[str]]:
        """(wrap-ups due, calls due), in one pipeline."""
        pipe = self.r.pipeline(transaction=False)
        pipe.zrangebyscore(self.prefix + "wrapup", "-inf", now)
        pipe.zrangebyscore(self.prefix + "due", "-inf", now)
        wrapups, calls = pipe.execute()
        return list(wrapups), list(calls)

    def next_due(self) -> float | None:
        """The earliest pending wrap-up end or call step."""
        pipe = self.r.pipeline(transaction=False)
        pipe.zrange(self.prefix + "wrapup", 0, 0, withscores=True)
        pipe.zrange(self.prefix + "due", 0, 0, withscores=True)
        firsts = [float(rows[0][1]) for rows in pipe.execute() if rows]
        return min(firsts) if firsts else None

    def claim_offer(self, call_id: str, agent_id: str) -> Claim:
        """Offer the call to the agent if both are still free, atomically (acd.redis_lua.CLAIM)."""
        keys = [self._c(call_id), self._a(agent_id)]
        out = cast(list[Any], self._again_on_epoch(self._claim, keys, [self.prefix, call_id, agent_id]))
        return self._claimed(out, agent_id)

    def claim_best(self, agent_id: str, buckets: Sequence[tuple[str, int]]) -> Claim:
        """Pick the best head of ``buckets`` for the agent and claim it, in one script (CLAIM_BEST)."""
        keys = [self._a(agent_id), *(f"{self.prefix}bucket:{q}:{t}" for q, t in buckets)]
        args = [self.prefix, agent_id, *(q for q, _ in buckets)]
        return self._claimed(cast(list[Any], self._again_on_epoch(self._claim_best, keys, args)), agent_id)

    def put_agent_and_claim(
        self,
        agent: Agent,
        buckets: Sequence[tuple[str, int]],
        counts: Sequence[tuple[str, str, int]],
        claimed_counts: Sequence[tuple[str, str, int]] = (),
    ) -> tuple[Claim, dict[str, tuple[int, int]]]:
        """Write the agent, claim its best bucket head and count queues, in one script (PUT_CLAIM_BEST)."""
        entries = agent_entries(agent)
        offered = [e for e in entries if kind(e[0]) not in CLAIMED_KINDS]
        plan = {"buckets": buckets, "counts": counts, "claimed": claimed_counts}
        args: list[str | int] = [self.prefix, agent.agent_id, agent.version, json.dumps(entries)]
        args += [json.dumps(offered), json.dumps(plan), *agent_fields(agent)]
        keys = [self._a(agent.agent_id), self.prefix + "agents"]
        out = json.loads(cast(str, self._stale_on_epoch(agent, self._put_claim_best, keys, args)))
        self._check_written(agent, out[:2])
        lost, call_id, call_d, call_v, agent_v = out[2:7]
        found = dict(zip((q for q, _, _ in counts), pairs(out[7 : 7 + 2 * len(counts)]), strict=True))
        self._saw(agent.agent_id, agent)
        if lost:
            return Claim(lost=lost), found
        call = call_from_row(call_id, [call_d, call_v, CallState.OFFERED, agent.agent_id])
        taken = copy_agent(agent)
        taken.state, taken.offered_call_id, taken.version = AgentState.OFFERED, call_id, agent_v
        self._seen[agent.agent_id] = copy_agent(taken)
        if call is not None:
            found.update((call.queue, pair) for pair in pairs(out[7 + 2 * len(counts) :]))
        return Claim(call=call, agent=taken), found

    # -- helpers ---------------------------------------------------------------------------------

    def _a(self, agent_id: str) -> str:
        return f"{self.prefix}a:{agent_id}"

    def _c(self, call_id: str) -> str:
        return f"{self.prefix}c:{call_id}"

    def _write(self, key: str, ids: str, obj: Agent | Call, put_args: list[str]) -> None:
        oid = obj.agent_id if isinstance(obj, Agent) else obj.call_id
        args: list[str | int] = [self.prefix, oid, obj.version, *put_args]
        self._check_written(
            obj, cast(list[int], self._stale_on_epoch(obj, self._put, [key, self.prefix + ids], args))
        )
        if isinstance(obj, Agent):
            self._saw(oid, obj)

    def _again_on_epoch(self, script: Script, keys: Sequence[str], args: Sequence[str | int]) -> Any:
        """Run a script whose checks are all inside Redis (claims, deletes): after the data changed under
        the store it does not depend on any copy, so it runs again under the current epoch."""
        try:
            return self.once.run(script, keys, args)
        except EpochChanged:
            return self.once.run(script, keys, args)

    def _stale_on_epoch(
        self, obj: Agent | Call, script: Script, keys: Sequence[str], args: Sequence[str | int]
    ) -> Any:
        """Run a compare-and-set script; a write based on data Redis no longer has is StaleState (an
        agent copy from before the store last forgot its copies counts as such, unwritten)."""
        oid = obj.agent_id if isinstance(obj, Agent) else obj.call_id
        stale = StaleState(
            f"{oid}: the Redis data changed since it was read", key=oid, read_version=obj.version, version=0
        )
        if isinstance(obj, Agent) and self.once.generation and obj.version and oid not in self._fresh:
            raise stale
        try:
            return self.once.run(script, keys, args)
        except EpochChanged:
            raise stale from None

    def data_generation(self) -> int:
        """Resets so far, after checking the data's epoch (see acd.redis_once)."""
        return self.once.check_epoch()

    def _forget_copies(self) -> None:
        self._seen.clear()
        self._fresh.clear()

    def _check_written(self, obj: Agent | Call, reply: Sequence[int]) -> None:
        """Take the new version from a PUT reply, or raise StaleState if the write was refused."""
        ok, version = reply
        if not int(ok):
            oid = obj.agent_id if isinstance(obj, Agent) else obj.call_id
            if isinstance(obj, Agent):
                self._seen.pop(oid, None)
            raise StaleState(
                f"{oid} changed since it was read", key=oid, read_version=obj.version, version=int(version)
            )
        obj.version = int(version)

    def _claimed(self, out: list[Any], agent_id: str) -> Claim:
        """The Claim in a CLAIM reply. A won claim is the agent's last seen state; one lost on the
        agent means this store's copy may be out of date, so it is forgotten."""
        claim = claimed(out, agent_id)
        if claim or claim.lost == "agent":
            self._saw(agent_id, claim.agent)
        return claim

    def _saw(self, agent_id: str, agent: Agent | None) -> None:
        if agent is None:
            self._seen.pop(agent_id, None)
        else:
            self._seen[agent_id] = copy_agent(agent)
            self._fresh.add(agent_id)

    def _paged(self, key: str, first: list[str]) -> Iterator[tuple[float, str]]:
        page = first
        start = 0
        while True:
            for i in range(0, len(page), 2):
                yield float(page[i + 1]), page[i]
            if len(page) < 2 * PAGE:
                return
            start += PAGE
            rows = cast(list[tuple[str, float]], self.r.zrange(key, start, start + PAGE - 1, withscores=True))
            page = [x for member, score in rows for x in (member, str(score))]

    def _agents_for(self, ids: Sequence[str]) -> Iterator[Agent]:
        pipe = self.r.pipeline(transaction=False)
        for agent_id in ids:
            pipe.hmget(self._a(agent_id), *AGENT_FIELDS)
        rows = pipe.execute() if ids else []
        found = (agent_from_row(i, row) for i, row in zip(ids, rows, strict=True))
        return iter([a for a in found if a is not None])

    def _agents_lazily(self, ids: Iterator[str]) -> Iterator[Agent]:
        size = 1
        while True:
            chunk = [i for _, i in zip(range(size), ids, strict=False)]
            if not chunk:
                return
            yield from self._agents_for(chunk)
            size = min(size * 4, 64)

    def _calls_for(self, ids: Sequence[str]) -> Iterator[Call]:
        pipe = self.r.pipeline(transaction=False)
        for call_id in ids:
            pipe.hmget(self._c(call_id), *CALL_FIELDS)
        rows = pipe.execute() if ids else []
        found = (call_from_row(i, row) for i, row in zip(ids, rows, strict=True))
        return iter([c for c in found if c is not None])
