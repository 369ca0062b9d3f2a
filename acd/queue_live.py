"""Keeps every app node's ACD on the queue configuration in force (the newest row of acd.queue_store).

The database holds the truth; each node's ACD follows it. The node that saved a change applies it at
once (:meth:`QueueLive.follow_once`) and announces the new version number on the Redis channel
``<prefix>:queues`` when Redis is configured; every node listening there reads the table as soon as it
hears it, and every node reads it anyway every ``interval_s`` (an announcement missed while Redis was
away, or a centre without Redis). A message carries only a number and only makes a node read the
table, so it needs no signature. Applying is AcdService.reconfigure: new decisions use the new
configuration, callers already waiting keep their place (acd.queue_live_engine). Stopping is bounded:
the listener re-raises a cancellation redis-py absorbed, and closing a Redis connection takes at most
``CLOSE_S`` (hotline.redis_listening).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from acd import queue_store as store
from acd.errors import AcdError
from acd.model import QueueConfig
from acd.queue_store_doc import document_of, parse_document
from acd.service import AcdService
from hotline.redis_listening import close_within, next_message

log = logging.getLogger(__name__)

FOLLOW_INTERVAL_S = 5.0
RETRY_S = 2.0


def queues_at_start(
    sessions: sessionmaker[Session], *, seed: Sequence[QueueConfig], default_wrapup_s: float
) -> tuple[int | None, list[QueueConfig]]:
    """The version in force and its queues, writing ``seed`` (the shipped file or HOTLINE_QUEUES_FILE)
    as version 1 on an empty table. A stored version the code no longer accepts (a strategy removed)
    is logged and the seed is used, so the centre starts and an admin can save a good version."""
    row = store.seed(sessions, document=document_of(seed))
    try:
        return row.version, parse_document(
            row.document, default_wrapup_s=default_wrapup_s, source=f"queue version {row.version}"
        )
    except AcdError:
        log.exception("queue version %d is not accepted; the ACD starts on the seed", row.version)
        return None, list(seed)


class QueueLive:
    """One node's follower of the queue configuration versions."""

    def __init__(
        self,
        *,
        acd: AcdService,
        sessions: sessionmaker[Session],
        default_wrapup_s: float,
        applied: int | None,
        redis_url: str = "",
        prefix: str = "hotline:acd",
        interval_s: float = FOLLOW_INTERVAL_S,
    ) -> None:
        self._acd = acd
        self._sessions = sessions
        self._wrapup = default_wrapup_s
        self.applied = applied
        self._redis = Redis.from_url(redis_url) if redis_url else None
        self.channel = f"{prefix}:queues"
        self._interval_s = interval_s
        self._lock = asyncio.Lock()

    async def follow_once(self) -> int | None:
        """Apply the version in force if this node does not have it; the version applied, else None.
        The table unreadable: nothing changes (tried again later)."""
        async with self._lock:
            try:
                row = await asyncio.to_thread(store.current, self._sessions)
            except SQLAlchemyError:
                log.warning("queue versions unreadable; the ACD keeps its queues", exc_info=True)
                return None
            if row is None or row.version == self.applied:
                return None
            self.applied = row.version
            try:
                queues = parse_document(
                    row.document, default_wrapup_s=self._wrapup, source=f"queue version {row.version}"
                )
                self._acd.reconfigure(queues)
            except AcdError:
                log.exception("queue version %d not applied; the ACD keeps its queues", row.version)
                return None
            log.info("ACD now decides with queue version %d", row.version)
            return row.version

    async def announce(self, version: int) -> None:
        """Tell the other nodes (Redis) that ``version`` is in force; they read the table anyway."""
        if self._redis is None:
            return
        try:
            await self._redis.publish(self.channel, str(version))
        except RedisError as exc:
            log.warning("queue version %d not announced (%s); nodes read it within %.0f s", version, exc,
                        self._interval_s)  # fmt: skip

    async def run(self) -> None:
        """Follow until cancelled: on each announcement, and every ``interval_s``."""
        while True:
            if self._redis is None:
                await asyncio.sleep(self._interval_s)
                await self.follow_once()
                continue
            try:
                await self._listen(self._redis)
            except RedisError as exc:
                log.warning("queue announcements not heard (%s); reading the table every %.0f s", exc,
                            self._interval_s)  # fmt: skip
                await asyncio.sleep(RETRY_S)
                await self.follow_once()

    async def _listen(self, redis: Redis) -> None:
        pubsub = redis.pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.subscribe(self.channel)
            await self.follow_once()  # a change made before the subscription
            while True:
                await next_message(pubsub, timeout_s=self._interval_s)
                await self.follow_once()
        finally:
            await close_within(pubsub.aclose(), what="queue follower")

    async def close(self) -> None:
        """Close the Redis connection (at most ``CLOSE_S``)."""
        if self._redis is not None:
            await close_within(self._redis.aclose(), what="queue follower")
