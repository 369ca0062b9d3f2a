"""The real HTTP app (hotline.http) on a migrated SQLite file with real tokens, for the sign-in, request
limit and error-body tests. The ACD and desktop service are absent: these tests never reach them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import httpx
from sqlalchemy.orm import Session, sessionmaker

from acd.service import AcdService
from agent_desktop.auth import Role, TokenStore
from agent_desktop.context import DesktopContext
from agent_desktop.hub import DesktopHub
from agent_desktop.login import LoginGuard
from agent_desktop.service import DesktopService
from hotline.bus import EventBus
from hotline.db import repository as repo
from hotline.db.engine import make_engine, migrate, session_factory
from hotline.http import build_http_app


@dataclass
class Site:
    """A client of the app, its context and a bearer header of an admin."""

    client: httpx.AsyncClient
    ctx: DesktopContext
    sessions: sessionmaker[Session]

    def bearer(self, user_id: str = "admin", role: Role = Role.ADMIN) -> dict[str, str]:
        """An Authorization header of a fresh token."""
        return {"Authorization": f"Bearer {self.ctx.tokens.issue(user_id, role)}"}

    def add_user(self, user_id: str, password_hash: str | None, role: repo.Role = "agent") -> None:
        """Store a user with the given password hash."""
        repo.upsert_agent(
            self.sessions, agent_id=user_id, name=user_id, contact="", skills={}, role=role,
            password_hash=password_hash,
        )  # fmt: skip

    async def sign_in(self, user_id: str, password: str) -> httpx.Response:
        """POST /api/sessions."""
        return await self.client.post("/api/sessions", json={"user_id": user_id, "password": password})


@asynccontextmanager
async def site(tmp_path: Path, login: LoginGuard | None = None) -> AsyncIterator[Site]:
    """The app on a fresh database."""
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    migrate(url)
    engine = make_engine(url)
    sessions = session_factory(engine)
    ctx = DesktopContext(
        sessions=sessions,
        tokens=TokenStore(),
        hub=DesktopHub(EventBus()),
        desktop=cast(DesktopService, None),
        acd=cast(AcdService, None),
        login=login or LoginGuard(),
    )
    transport = httpx.ASGITransport(app=build_http_app(ctx))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://hotline.test") as client:
            yield Site(client=client, ctx=ctx, sessions=sessions)
    finally:
        await ctx.login.close()
        engine.dispose()
