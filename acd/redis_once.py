"""Running the Redis store's writing scripts safely across lost replies and lost Redis data.

Two failure modes of a shared Redis, and what this module does about them:

- A lost reply. A script ran in Redis (say a claim: call and agent now OFFERED) but its reply never
  arrived (the connection broke). Sending it again would be refused by its own checks (the call is no
  longer WAITING) and the engine would drop the event, leaving agent and call OFFERED with no phone
  rung. So every writing script runs wrapped in :func:`acd.redis_lua.once`: the store gives each
  operation a random token and retries it (here, not in redis-py: the client is built without retries)
  with the same token; the first run records its reply under ``<prefix>op:<token>`` for
  ``OP_TTL_S`` seconds and a retry returns that reply without running again.
- Lost data. The store keeps a copy of each agent as it last saw it and trusts that an agent's version
  never repeats. After Redis lost data (restarted without its data or restored from an older copy, a
  FLUSH, a failover to another server) versions start again and a stale copy could pass the
  compare-and-set. Two checks: the key ``<prefix>epoch`` holds a random id created with the data; every
  writing script checks it is still the one the store knows (else the script changes nothing and
  answers ``EPOCH``); and on every new connection the store reads the server's ``run_id``: a different
  server or a restarted one may hold older data, so the store gives the data a new epoch at once (every
  write in flight, from any node, based on the old data is then refused). Either way the store forgets
  its copies (``generation`` counts these resets) and takes the current epoch.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable, Sequence
from typing import Any

import redis
from redis.commands.core import Script

log = logging.getLogger(__name__)

OP_TTL_S = 120
ATTEMPTS = 3
BACKOFF_S = (0.0, 0.1)


class EpochChanged(Exception):
    """The store's Redis data is not the data it has seen (flushed or replaced); copies are forgotten."""


class OnceRunner:
    """Runs writing scripts of one store once per operation, under the epoch the store knows."""

    def __init__(self, client: redis.Redis, prefix: str, *, forget: Callable[[], None]) -> None:
        self.r = client
        self.epoch_key = prefix + "epoch"
        self._prefix = prefix
        self._forget = forget
        self._epoch: str | None = None
        self.run_id: str | None = None
        self.generation = 0
        connection = getattr(client, "connection", None)
        if connection is not None:
            connection.register_connect_callback(self._connected)
            if connection.is_connected:
                self._connected(connection)

    def epoch(self) -> str:
        """The epoch of the data, created (once, by whichever store comes first) if there is none."""
        if self._epoch is None:
            self.r.set(self.epoch_key, secrets.token_hex(8), nx=True)
            self._epoch = str(self.r.get(self.epoch_key))
        return self._epoch

    def check_epoch(self) -> int:
        """Compare the data's epoch with the one the store knows (one read): a missing or different epoch
        means the data was lost or replaced, and the copies are forgotten. Returns ``generation``."""
        if self._epoch is not None:
            current = self.r.get(self.epoch_key)
            if current is None or str(current) != self._epoch:
                self.reset("Redis data changed under the store (flushed, restored or replaced)")
        return self.generation

    def forget_epoch(self) -> None:
        """Read the epoch again on the next write (the store deleted its own keys)."""
        self._epoch = None

    def reset(self, why: str) -> None:
        """Forget the store's copies and the epoch (read again on the next write)."""
        self.generation += 1
        log.warning("ACD store %s: %s; copies of agents forgotten", self._prefix, why)
        self._epoch = None
        self._forget()

    def run(self, script: Script, keys: Sequence[str], args: Sequence[str | int]) -> Any:
        """Run ``script`` once, retrying a lost reply with the same token; EpochChanged if the data is not
        the store's (nothing was written then)."""
        token = secrets.token_hex(8)
        all_keys = [*keys, self.epoch_key, f"{self._prefix}op:{token}"]
        for attempt in range(ATTEMPTS):
            try:
                return script(keys=all_keys, args=[*args, self.epoch()])
            except (redis.ConnectionError, redis.TimeoutError) as exc:
                if attempt == ATTEMPTS - 1:
                    raise
                log.warning("ACD store: no reply to a write (%s); asking again (%d)", exc, attempt + 1)
                time.sleep(BACKOFF_S[min(attempt, len(BACKOFF_S) - 1)])
            except redis.ResponseError as exc:
                if str(exc).startswith("EPOCH"):
                    self.reset("Redis data changed under the store (flushed, restored or replaced)")
                    raise EpochChanged(str(exc)) from None
                raise
        raise AssertionError("unreachable")

    def _connected(self, conn: Any) -> None:
        """A (re)connection: a server whose run id changed may have lost or replaced the data."""
        conn.send_command("INFO", "server")
        info = conn.read_response()
        text = info.decode() if isinstance(info, bytes) else str(info)
        run_id = next(
            (line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("run_id:")), ""
        )
        if self.run_id is not None and run_id != self.run_id:
            self.reset(f"Redis server changed or restarted (run id {self.run_id[:8]} -> {run_id[:8]})")
            epoch = secrets.token_hex(8)
            conn.send_command("SET", self.epoch_key, epoch)
            conn.read_response()
            self._epoch = epoch
        self.run_id = run_id
