"""The composition root: the one place that builds and wires the whole centre."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from dataclasses import dataclass, field
from pathlib import Path

import uvicorn
from sqlalchemy.orm import Session, sessionmaker

from acd.ami_consume import AmiConsumer
from acd.engine import AcdEngine
from acd.model import QueueConfig
from acd.service import AcdService
from acd.store import MemoryStore
from agent_desktop.auth import TokenStore, hash_password
from agent_desktop.context import DesktopContext
from agent_desktop.hub import DesktopHub
from agent_desktop.service import DesktopService
from hotline.ami.client import AmiClient
from hotline.bus import EventBus
from hotline.db import repository as repo
from hotline.db.engine import make_engine, migrate, session_factory
from hotline.fastagi.server import FastAgiServer
from hotline.http import build_http_app
from hotline.recorder import Recorder
from hotline.settings import Settings
from ivr.agi_flow import IvrRoute
from ivr.menu import default_menu

log = logging.getLogger(__name__)


def default_queues(settings: Settings) -> list[QueueConfig]:
    """One queue per skill: the general line and the enterprise (business environment) line."""
    return [
        QueueConfig(name="general", skill="general", wrapup_seconds=settings.wrapup_seconds),
        QueueConfig(name="enterprise", skill="enterprise", wrapup_seconds=settings.wrapup_seconds),
    ]


def ensure_admin(sessions: sessionmaker[Session], settings: Settings) -> str | None:
    """Make sure an ``admin`` user exists; return a newly generated password, if one was made."""
    if repo.get_agent(sessions, agent_id="admin") is not None:
        return None
    password = settings.admin_password.get_secret_value() or secrets.token_urlsafe(12)
    repo.upsert_agent(
        sessions,
        agent_id="admin",
        name="管理员",
        contact="",
        skills={},
        role="admin",
        password_hash=hash_password(password),
    )
    secret_file = settings.state_dir / "admin-password"
    secret_file.parent.mkdir(parents=True, exist_ok=True)
    secret_file.write_text(password + "\n")
    secret_file.chmod(0o600)
    return None if settings.admin_password.get_secret_value() else password


@dataclass
class Centre:
    """Every long-lived part of one running centre."""

    settings: Settings
    ami_secret: str
    bus: EventBus = field(default_factory=EventBus)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def __post_init__(self) -> None:
        s = self.settings
        url = s.resolved_database_url()
        migrate(url)
        self.sessions = session_factory(make_engine(url))
        self.ami = AmiClient(
            host=s.ami_host, port=s.ami_port, username=s.ami_username, secret=self.ami_secret
        )
        self.hub = DesktopHub(self.bus)
        self.acd = AcdService(
            engine=AcdEngine(queues=default_queues(s), store=MemoryStore()),
            ami=self.ami,
            bus=self.bus,
            notifier=self.hub,
            ring_timeout_s=s.ring_timeout_seconds,
        )
        AmiConsumer(ami=self.ami, service=self.acd, bus=self.bus).install()
        self.recorder = Recorder(bus=self.bus, sessions=self.sessions)
        self.fastagi = FastAgiServer(host=s.fastagi_host, port=s.fastagi_port)
        self.fastagi.add_route(
            "ivr",
            IvrRoute(
                bus=self.bus, menu=default_menu(digit_timeout_ms=int(s.ivr_digit_timeout_seconds * 1000))
            ),
        )
        self.desktop = DesktopContext(
            sessions=self.sessions,
            tokens=TokenStore(),
            hub=self.hub,
            desktop=DesktopService(acd=self.acd, sessions=self.sessions),
            acd=self.acd,
        )
        self.http = build_http_app(self.desktop)
        self._server: uvicorn.Server | None = None
        self._server_task: asyncio.Task[None] | None = None
        self._stopped = False

    async def start(self) -> None:
        """Connect to Asterisk, open FastAGI and HTTP, start background work."""
        self.tasks.append(asyncio.create_task(self.recorder.run()))
        await self.ami.start()
        await self.fastagi.start()
        self.tasks.append(asyncio.create_task(self.acd.heartbeat_forever()))
        config = uvicorn.Config(
            self.http,
            host=self.settings.http_host,
            port=self.settings.http_port,
            ws="websockets-sansio",
            log_level="warning",
            lifespan="off",
            timeout_graceful_shutdown=2,
        )
        self._server = uvicorn.Server(config)
        self._server_task = asyncio.create_task(self._server.serve())
        self.tasks.append(self._server_task)
        while not self._server.started:
            if self._server_task.done():
                self._server_task.result()
                raise RuntimeError("the HTTP server stopped during start-up")
            await asyncio.sleep(0.02)

    @property
    def url(self) -> str:
        """Where the agent page is served."""
        return f"http://{self.settings.http_host}:{self.settings.http_port}/"

    async def stop(self) -> None:
        """Stop accepting work and close every connection; safe to call twice."""
        if self._stopped:
            return
        self._stopped = True
        if self._server is not None and self._server_task is not None:
            self._server.should_exit = True
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._server_task), 5.0)
        await self.fastagi.close()
        await self.acd.close()
        with contextlib.suppress(TimeoutError):
            await self.recorder.drained(timeout=5.0)
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        self.recorder.close()
        await self.ami.close()


def prompts_dir(root: Path) -> Path:
    """Where Asterisk (inside the sandbox root) looks for sounds."""
    return root / "usr" / "share" / "asterisk" / "sounds"
