"""A centre and a 110 simulator as real servers on free ports, for the 110 linkage tests.

The centre is the real HTTP app (``hotline.http``) under uvicorn on a migrated database (SQLite or
PostgreSQL) with real tokens; its hand-off sender is driven by the test with a clock it sets. The
simulator is ``hotline sim-110`` in its own process: it can be stopped and started again on the same
port (110 down, 110 back).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import httpx
import uvicorn
from sqlalchemy.orm import Session, sessionmaker

from acd.service import AcdService
from agent_desktop.auth import Role, TokenStore
from agent_desktop.context import DesktopContext
from agent_desktop.hub import DesktopHub
from agent_desktop.login import LoginGuard
from agent_desktop.service import DesktopService
from hotline.bus import EventBus
from hotline.db.engine import make_engine, migrate, session_factory
from hotline.http import build_http_app
from linkage110.client import send_handoff
from linkage110.sender import HandoffSender
from linkage110.service import Linkage110
from linkage110.settings import Linkage110Settings
from tests.conftest import free_port
from tickets.service import TicketService

SECRET = "rig-secret-110"
HOTLINE = str(Path(sys.executable).with_name("hotline"))


@dataclass
class Clock:
    """The sender's clock, moved by the test."""

    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move on by ``seconds``."""
        self.now += timedelta(seconds=seconds)


class Simulator:
    """``hotline sim-110`` as a child process on a fixed port."""

    def __init__(self, port: int, centre: str, secret: str = SECRET) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.centre = centre
        self.secret = secret
        self.process: subprocess.Popen[str] | None = None

    def start(self) -> None:
        """Start it and wait until it listens."""
        argv = [
            HOTLINE,
            "sim-110",
            "--port",
            str(self.port),
            "--secret",
            self.secret,
            "--centre",
            self.centre,
        ]
        env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_LINKAGE110_")}
        self.process = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, env=env)
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        assert line.startswith("listening"), line

    def stop(self) -> None:
        """Stop it (110 is down)."""
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            if self.process.stdout is not None:
                self.process.stdout.close()
            self.process = None

    def call(self, method: str, path: str, body: object = None) -> Any:
        """A request to the simulator; its JSON answer."""
        data = None if body is None else json.dumps(body, ensure_ascii=False).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, timeout=20) as answer:
            return json.loads(answer.read())


@dataclass
class Rig:
    """The centre, its sender, the simulator and a client of the centre."""

    client: httpx.AsyncClient
    ctx: DesktopContext
    sessions: sessionmaker[Session]
    linkage: Linkage110
    sender: HandoffSender
    clock: Clock
    sim: Simulator

    def bearer(self, user_id: str = "sup1", role: Role = Role.SUPERVISOR) -> dict[str, str]:
        """An Authorization header of a fresh token."""
        return {"Authorization": f"Bearer {self.ctx.tokens.issue(user_id, role)}"}


@contextmanager
def _simulator(port: int, centre: str) -> Iterator[Simulator]:
    sim = Simulator(port, centre)
    try:
        yield sim
    finally:
        sim.stop()


@asynccontextmanager
async def rig(url: str, tmp_path: Path, *, background: bool = False) -> AsyncIterator[Rig]:
    """A migrated centre at ``url`` serving on a free port, and a simulator (not started) aimed at it.

    ``background``: the centre's own sender runs (started with the app, real clock) and posts to the
    simulator; otherwise the test drives ``Rig.sender``.
    """
    migrate(url)
    engine = make_engine(url)
    sessions = session_factory(engine)
    ctx = DesktopContext(
        sessions=sessions,
        tokens=TokenStore(),
        hub=DesktopHub(EventBus()),
        desktop=cast(DesktopService, None),
        acd=cast(AcdService, None),
        login=LoginGuard(),
    )
    app = build_http_app(ctx)
    clock = Clock()
    sim_port = free_port()
    sim_url = f"http://127.0.0.1:{sim_port}" if background else ""
    settings = Linkage110Settings(secret=SECRET, url=sim_url, backoff_base_s=0.2, poll_s=0.2)
    tickets = TicketService(sessions=sessions)
    linkage = (
        Linkage110(tickets=tickets, settings=settings) if background else Linkage110(tickets, settings, clock)
    )
    app.state.linkage110 = linkage
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    serving = asyncio.create_task(server.serve())
    for _ in range(400):
        if server.started:
            break
        await asyncio.sleep(0.05)
    assert server.started, "the centre did not start serving"
    centre = f"http://127.0.0.1:{port}"
    with _simulator(sim_port, centre) as sim:

        def send(payload: dict[str, Any]) -> Any:
            return send_handoff(sim.url, payload, secret=SECRET, timeout_s=5.0, now=time.time)

        sender = HandoffSender(
            sessions=sessions, send=send, backoff_base_s=2.0, backoff_max_s=30.0, clock=clock
        )
        try:
            async with httpx.AsyncClient(base_url=centre, timeout=20) as client:
                yield Rig(client, ctx, sessions, linkage, sender, clock, sim)
        finally:
            server.should_exit = True
            await serving
            await ctx.login.close()
            engine.dispose()
