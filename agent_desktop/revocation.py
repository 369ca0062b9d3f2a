"""A user's sessions end on every app node, not only on the node that changed or disabled the user.

Tokens live in each node's memory (agent_desktop.auth.TokenStore). When a node revokes a user's tokens
on its own account (the user was changed, disabled, given a new password), it publishes the user id on
the Redis channel ``<prefix>:revoke``; every other node revokes that user's tokens at once, so their
desktops close with 4401 ``user_changed`` as on the first node. The channel is not a bus topic: the
desktops never see it. Without Redis (one node) nothing is published or heard.

A node that missed the message (Redis down, the node reconnecting) still ends the sessions: every
``check_every_s`` it reads the users holding its tokens from the database and revokes the tokens of a
user who is disabled (``agent_disabled``), or whose role or password hash changed since the token was
first checked, or who was in the table then and is gone now. A user without a password who is not
disabled (tokens some tools and tests issue directly) keeps the token while nothing changes; a token
whose user the table never held is left alone. A hash is replaced on sign-in only for a legacy scheme,
so such a user may be signed out once on the other nodes; that is the price of noticing a new password
without Redis.

Stopping is bounded: the listener re-raises a cancellation redis-py absorbed and every close of a Redis
connection is given at most ``CLOSE_S`` (hotline.redis_listening).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from admin.agents_models import AgentDisabled
from agent_desktop.auth import Principal, TokenStore
from hotline.db.models import Agent
from hotline.redis_listening import CLOSE_S, close_within, next_message

log = logging.getLogger(__name__)

CHECK_EVERY_S = 2.0
RETRY_S = 2.0
POLL_S = 1.0
"""How long one read of the channel waits: the listener notices a close within it."""
SEND_S = 5.0
"""The longest one announcement (or connecting for it) may take."""
CHUNK = 500


@dataclass(frozen=True, slots=True)
class UserState:
    """What the database says of a user now: role, a fingerprint of the password hash (empty when there
    is none) and whether an admin disabled them."""

    role: str
    password: str
    disabled: bool = False

    @property
    def stamp(self) -> str:
        """Role and password fingerprint in one string: what a token is stamped with."""
        return f"{self.role}:{self.password}"


def fingerprint(password_hash: str | None) -> str:
    """A short digest of a stored password hash ("" for none), so the hash itself is not kept."""
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16] if password_hash else ""


def stale_tokens(
    held: Iterable[tuple[str, Principal]], states: Mapping[str, UserState], stamps: dict[str, str]
) -> list[str]:
    """The tokens whose user no longer entitles them: disabled, another role or password than seen at
    the token's first check, or gone from ``states`` since then (a user never seen is left alone).
    ``stamps`` (token -> :attr:`UserState.stamp`) is updated: new tokens are stamped, tokens no longer
    held or stale are forgotten."""
    stale: list[str] = []
    live: set[str] = set()
    for token, principal in held:
        live.add(token)
        state = states.get(principal.user_id)
        if state is None:
            if token in stamps:
                stale.append(token)
            continue
        if state.disabled or stamps.setdefault(token, state.stamp) != state.stamp:
            stale.append(token)
    for token in set(stamps) - live.difference(stale):
        del stamps[token]
    return stale


def user_states(sessions: sessionmaker[Session], user_ids: Iterable[str]) -> dict[str, UserState]:
    """The current state of each of ``user_ids`` that still exists."""
    wanted = sorted(set(user_ids))
    states: dict[str, UserState] = {}
    with sessions() as s:
        for start in range(0, len(wanted), CHUNK):
            rows = s.execute(
                select(Agent.agent_id, Agent.role, Agent.password_hash, AgentDisabled.agent_id)
                .outerjoin(AgentDisabled, AgentDisabled.agent_id == Agent.agent_id)
                .where(Agent.agent_id.in_(wanted[start : start + CHUNK]))
            )
            for agent_id, role, password_hash, disabled in rows:
                states[agent_id] = UserState(
                    role=role, password=fingerprint(password_hash), disabled=disabled is not None
                )
    return states


class Revocation:
    """One node's side of revoking users everywhere: announces, listens, and checks the database."""

    def __init__(
        self,
        tokens: TokenStore,
        sessions: sessionmaker[Session],
        *,
        redis_url: str = "",
        prefix: str = "hotline",
        check_every_s: float = CHECK_EVERY_S,
    ) -> None:
        self._tokens = tokens
        self._sessions = sessions
        self._redis = (
            Redis.from_url(redis_url, socket_timeout=SEND_S, socket_connect_timeout=CLOSE_S)
            if redis_url
            else None
        )
        self.channel = f"{prefix}:revoke"
        self.node = secrets.token_hex(8)
        self.check_every_s = check_every_s
        self._stamps: dict[str, str] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._sending: set[asyncio.Task[None]] = set()
        self._closing = False
        tokens.on_user_revoked(self._announce)

    def _announce(self, user_id: str) -> None:
        """Publish ``user_id`` in the background (the store's listener; may run in a worker thread)."""
        if self._redis is None or self._closing or self._loop is None or self._loop.is_closed():
            return
        self._loop.call_soon_threadsafe(self._spawn, user_id)

    def _spawn(self, user_id: str) -> None:
        task = asyncio.create_task(self.publish(user_id))
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def publish(self, user_id: str) -> None:
        """Tell the other nodes to revoke ``user_id``'s tokens; with Redis down they find out from
        the database within ``check_every_s``."""
        if self._redis is None:
            return
        message = json.dumps({"node": self.node, "user_id": user_id})
        try:
            await self._redis.publish(self.channel, message)
        except RedisError as exc:
            log.warning("revocation of %s not announced (%s); nodes check the database every %.0f s",
                        user_id, exc, self.check_every_s)  # fmt: skip

    def heard(self, raw: bytes | str) -> str | None:
        """Apply one message from the channel; the user revoked here, or None (own or malformed)."""
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            body = None
        if not isinstance(body, dict):
            log.warning("malformed revocation message ignored: %r", raw[:200])
            return None
        user_id, node = body.get("user_id"), body.get("node")
        if not isinstance(user_id, str) or not user_id or node == self.node:
            return None
        self._tokens.revoke_user(user_id, announce=False)
        return user_id

    async def check_once(self) -> int:
        """Revoke the tokens whose user the database no longer entitles; how many."""
        held = self._tokens.held()
        try:
            states = await asyncio.to_thread(user_states, self._sessions, (p.user_id for _, p in held))
        except SQLAlchemyError as exc:
            log.warning("users of signed-in sessions not checked (%s); tried again", exc)
            return 0
        return self._tokens.revoke_tokens(stale_tokens(held, states, self._stamps))

    async def run(self) -> None:
        """Listen and check until cancelled or closed."""
        self._loop = asyncio.get_running_loop()
        await asyncio.gather(self._check_forever(), self._listen_forever())

    async def _check_forever(self) -> None:
        while not self._closing:
            await self.check_once()
            await asyncio.sleep(self.check_every_s)

    async def _listen_forever(self) -> None:
        if self._redis is None:
            return
        while not self._closing:
            try:
                await self._listen(self._redis)
            except RedisError as exc:
                if self._closing:
                    return
                log.warning("revocations of other nodes not heard (%s); the database is checked every "
                            "%.0f s", exc, self.check_every_s)  # fmt: skip
                await asyncio.sleep(RETRY_S)

    async def _listen(self, redis: Redis) -> None:
        pubsub = redis.pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.subscribe(self.channel)
            while not self._closing:
                message = await next_message(pubsub, timeout_s=POLL_S)
                if message is not None and message.get("type") == "message":
                    self.heard(message["data"])
        finally:
            await close_within(pubsub.aclose(), what="revocation listener")

    async def close(self) -> None:
        """Stop listening and checking, finish the announcements under way (at most ``SEND_S``) and
        close the Redis connection (at most ``CLOSE_S``)."""
        self._closing = True
        if self._sending:
            await asyncio.wait(set(self._sending), timeout=SEND_S)
        if self._redis is not None:
            await close_within(self._redis.aclose(), what="revocation")
