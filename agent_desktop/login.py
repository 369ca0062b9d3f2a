"""Sign-in: throttled, the same work whether or not the user exists, hashing in its own bounded pool.

The order matters: the throttle is asked first (a locked user or address is refused with 429 and its
password is never checked, so the right password does not help during a lockout); an unknown user
costs one check against a dummy hash, like a known one; a password stored under an older scheme or
cost is replaced after a successful check. Password hashing runs in a small thread pool of its own,
never in the one the database calls use; when too many checks wait, the sign-in answers 503.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from agent_desktop.auth import Role, TokenStore
from agent_desktop.errors import DesktopError
from agent_desktop.login_throttle import LoginThrottle, RedisThrottleStore
from agent_desktop.passwords import Passwords, Verdict
from hotline.db import repository as repo
from hotline.db.engine import WRITE_OPTION
from hotline.db.models import Agent

T = TypeVar("T")


class HashPool:
    """A bounded thread pool for password hashing: ``workers`` threads, at most ``max_pending`` jobs."""

    def __init__(self, *, workers: int = 2, max_pending: int = 32) -> None:
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="password-hash")
        self._max_pending = max_pending
        self._pending = 0

    async def run(self, fn: Callable[..., T], *args: object) -> T:
        """Run ``fn(*args)`` in the pool; DesktopError ``login_busy`` (503) when the pool is full."""
        if self._pending >= self._max_pending:
            raise DesktopError(
                "login_busy", "too many sign-ins at once; try again", status_code=503, headers=_retry(1)
            )
        self._pending += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)
        finally:
            self._pending -= 1

    def close(self) -> None:
        """Stop the threads once their jobs are done."""
        self._executor.shutdown(wait=False, cancel_futures=True)


@dataclass(frozen=True, slots=True)
class SignedIn:
    """A successful sign-in."""

    token: str
    user_id: str
    role: Role


class LoginGuard:
    """Checks a user id and password and issues a token."""

    def __init__(
        self,
        *,
        throttle: LoginThrottle | None = None,
        passwords: Passwords | None = None,
        pool: HashPool | None = None,
    ) -> None:
        self.throttle = throttle or LoginThrottle()
        self.passwords = passwords or Passwords()
        self.pool = pool or HashPool()

    async def close(self) -> None:
        """Release the hashing threads and the throttle's Redis client, if any."""
        self.pool.close()
        store = self.throttle.store
        if isinstance(store, RedisThrottleStore):
            await store.close()

    async def sign_in(
        self,
        sessions: sessionmaker[Session],
        tokens: TokenStore,
        *,
        user_id: str,
        password: str,
        address: str,
    ) -> SignedIn:
        """A token for ``user_id``; DesktopError 429 (locked), 401 (refused) or 503 (busy) otherwise."""
        wait = await self.throttle.attempt(user_id, address)
        if wait > 0:
            raise DesktopError(
                "too_many_attempts",
                "too many sign-in attempts; wait before trying again",
                status_code=429,
                details={"retry_after_s": math.ceil(wait)},
                headers=_retry(wait),
            )
        row = await asyncio.to_thread(repo.get_agent, sessions, agent_id=user_id)
        if row is None or not row.password_hash:
            await self.pool.run(self.passwords.burn, password)
            raise _refused()
        verdict: Verdict = await self.pool.run(self.passwords.verify, password, row.password_hash)
        if not verdict.ok:
            raise _refused()
        await self.throttle.succeeded(user_id, address)
        if verdict.rehash:
            fresh = await self.pool.run(self.passwords.hash, password)
            await asyncio.to_thread(replace_password_hash, sessions, row.agent_id, row.password_hash, fresh)
        return SignedIn(
            token=tokens.issue(row.agent_id, Role(row.role)), user_id=row.agent_id, role=Role(row.role)
        )


def replace_password_hash(sessions: sessionmaker[Session], agent_id: str, old: str, new: str) -> bool:
    """Store ``new`` as the user's hash if it is still ``old`` (an admin may have changed it meanwhile)."""
    with sessions.begin() as s:
        s.connection(execution_options={WRITE_OPTION: True})
        result = s.execute(
            update(Agent)
            .where(Agent.agent_id == agent_id, Agent.password_hash == old)
            .values(password_hash=new)
        )
        return bool(getattr(result, "rowcount", 0))


def _refused() -> DesktopError:
    return DesktopError("bad_credentials", "unknown user or wrong password", status_code=401)


def _retry(seconds: float) -> dict[str, str]:
    return {"Retry-After": str(max(1, math.ceil(seconds)))}


def login_guard(redis_url: str, *, prefix: str) -> LoginGuard:
    """A guard whose throttle counts live in Redis when ``redis_url`` is set (several app nodes share
    them), else in this process."""
    if not redis_url:
        return LoginGuard()
    return LoginGuard(throttle=LoginThrottle(RedisThrottleStore.from_url(redis_url, prefix=prefix)))
