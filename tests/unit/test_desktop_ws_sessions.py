"""The desktop websocket through a real uvicorn server (configured like the centre's) and a real
websocket client: it authenticates with its first frame (never the URL), closes with 4401 and a reason
when its session is signed out, its user changed or its token expired, answers hostile frames with
error frames and stays open, and closes with 1009 on a frame over the bound.

The ACD is real but has no Asterisk behind it (nothing here dials); users live in a SQLite file."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
import websockets
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from acd.engine import AcdEngine
from acd.queue_config import default_queue_configs
from acd.service import AcdService
from acd.store import MemoryStore
from agent_desktop import ws as ws_module
from agent_desktop.auth import Role, TokenStore
from agent_desktop.context import DesktopContext
from agent_desktop.hub import DesktopHub
from agent_desktop.protocol import MAX_FRAME_BYTES
from agent_desktop.service import DesktopService
from hotline.ami.client import AmiClient
from hotline.bus import EventBus
from hotline.db import repository as repo
from hotline.db.engine import make_engine, migrate, session_factory
from hotline.http import build_http_app
from tests.integration.desktop import schema_violations

pytestmark = pytest.mark.timeout(60)

LIFETIME_S = 3600.0


@dataclass
class Server:
    """A running app and what the tests poke at."""

    url: str
    tokens: TokenStore
    bus: EventBus
    http: httpx.AsyncClient

    @property
    def ws_url(self) -> str:
        """The websocket endpoint."""
        return self.url.replace("http", "ws", 1) + "/ws/v1"

    async def desktop(self, token: str) -> ClientConnection:
        """A socket that sent ``auth`` and got its ``hello``."""
        ws = await websockets.connect(self.ws_url)
        await ws.send(json.dumps({"v": 1, "type": "auth", "token": token}))
        hello = json.loads(await ws.recv())
        assert hello["type"] == "hello"
        return ws


@pytest.fixture
async def server(tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[Server]:
    """The app under uvicorn with the centre's frame bound (or, when parametrized, uvicorn's default)."""
    max_size = getattr(request, "param", MAX_FRAME_BYTES)
    url = f"sqlite:///{tmp_path / 'ws.db'}"
    migrate(url)
    engine = make_engine(url)
    sessions = session_factory(engine)
    repo.upsert_agent(sessions, agent_id="1001", name="李四", contact="PJSIP/1001", skills={"general": 1})
    bus = EventBus()
    hub = DesktopHub(bus)
    ami = AmiClient(host="127.0.0.1", port=9, username="hotline", secret="unused")
    acd = AcdService(
        engine=AcdEngine(queues=default_queue_configs(default_wrapup_s=30), store=MemoryStore()),
        ami=ami,
        bus=bus,
        notifier=hub,
        ring_timeout_s=20,
    )
    tokens = TokenStore(lifetime_s=LIFETIME_S)
    ctx = DesktopContext(
        sessions=sessions, tokens=tokens, hub=hub, desktop=DesktopService(acd=acd, sessions=sessions), acd=acd
    )
    config = uvicorn.Config(
        build_http_app(ctx), host="127.0.0.1", port=0, ws="websockets-sansio", ws_max_size=max_size,
        log_level="warning", lifespan="off",
    )  # fmt: skip
    web = uvicorn.Server(config)
    tasks = [asyncio.create_task(hub.run()), asyncio.create_task(web.serve())]
    while not web.started:
        assert not tasks[1].done(), "the HTTP server stopped during start-up"
        await asyncio.sleep(0.01)
    base = f"http://127.0.0.1:{web.servers[0].sockets[0].getsockname()[1]}"
    async with httpx.AsyncClient(base_url=base, timeout=10.0) as http:
        yield Server(base, tokens, bus, http)
    web.should_exit = True
    await tasks[1]
    tasks[0].cancel()
    await asyncio.gather(tasks[0], return_exceptions=True)
    await ctx.login.close()
    engine.dispose()


async def closed_with(ws: ClientConnection) -> tuple[int, str, list[str]]:
    """Read until the server closes: its close code, its reason, and the frame types seen before."""
    seen: list[str] = []
    ended: ConnectionClosed | None = None
    while ended is None:
        try:
            frame = json.loads(await asyncio.wait_for(ws.recv(), 10))
        except ConnectionClosed as closed:
            ended = closed
            continue
        assert schema_violations(frame) == []
        seen.append(frame["type"])
    assert ended.rcvd is not None, "the server did not send a close frame"
    return ended.rcvd.code, ended.rcvd.reason, seen


async def ping(ws: ClientConnection, frame_id: str) -> dict[str, Any]:
    """Send a ping and return the first pong (skipping other frames)."""
    await ws.send(json.dumps({"type": "ping", "id": frame_id}))
    while True:
        frame: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), 10))
        if frame["type"] == "pong":
            return frame


async def test_given_a_desktop_when_its_session_signs_out_then_the_socket_closes_4401_and_others_stay(
    server: Server,
) -> None:
    token, other = server.tokens.issue("1001", Role.AGENT), server.tokens.issue("1001", Role.AGENT)
    first, second = await server.desktop(token), await server.desktop(other)
    signed_out = await server.http.delete("/api/sessions", headers={"Authorization": f"Bearer {token}"})
    assert signed_out.status_code == 204
    server.bus.publish("agent.changed", {"agent_id": "1001", "status": "available", "state": "idle",
                                          "pause_reason": None, "call_id": None, "at": 1.0})  # fmt: skip
    assert await closed_with(first) == (4401, "session_revoked", [])
    assert (await ping(second, "still-here"))["reply_to"] == "still-here"
    await second.close()


async def test_given_a_desktop_when_an_admin_demotes_its_user_then_the_socket_closes_4401(
    server: Server,
) -> None:
    supervisor = await server.desktop(server.tokens.issue("1001", Role.SUPERVISOR))
    admin = {"Authorization": f"Bearer {server.tokens.issue('admin', Role.ADMIN)}"}
    body = {"name": "李四", "contact": "PJSIP/1001", "skills": {"general": 1}, "role": "agent"}
    changed = await server.http.put("/api/agents/1001", json=body, headers=admin)
    assert changed.status_code == 200, changed.text
    code, reason, _ = await closed_with(supervisor)
    assert (code, reason) == (4401, "user_changed")


async def test_given_a_desktop_when_its_token_expires_then_the_socket_closes_4401(server: Server) -> None:
    token = server.tokens.issue("1001", Role.AGENT, now=time.time() - LIFETIME_S + 0.5)
    ws = await server.desktop(token)
    code, reason, _ = await closed_with(ws)
    assert (code, reason) == (4401, "session_expired")


@pytest.mark.parametrize(
    ("first_frame", "reason"),
    [
        ({"type": "auth", "token": "not-a-token"}, "unauthenticated"),
        ({"type": "ping"}, "unauthenticated"),
        ("not json", "unauthenticated"),
    ],
    ids=["unknown token", "not auth", "not json"],
)
async def test_given_a_bad_first_frame_then_the_socket_closes_4401(
    server: Server, first_frame: object, reason: str
) -> None:
    ws = await websockets.connect(server.ws_url)
    await ws.send(first_frame if isinstance(first_frame, str) else json.dumps(first_frame))
    assert await closed_with(ws) == (4401, reason, [])


async def test_given_a_token_in_the_url_then_the_socket_closes_4401_without_using_it(server: Server) -> None:
    token = server.tokens.issue("1001", Role.AGENT)
    ws = await websockets.connect(f"{server.ws_url}?token={token}")
    assert await closed_with(ws) == (4401, "token_in_url", [])


async def test_given_no_first_frame_then_the_socket_closes_4401_after_the_auth_timeout(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ws_module, "AUTH_TIMEOUT_S", 0.2)
    ws = await websockets.connect(server.ws_url)
    assert await closed_with(ws) == (4401, "auth_timeout", [])


@pytest.mark.parametrize(
    "hostile",
    [
        '{"type": "ping", "id": ' + "9" * 5000 + "}",
        "9" * 5000,
        "[" * 30_000 + "]" * 30_000,
        '{"type": "ping", "id": ' + '{"a": ' * 5000 + "1" + "}" * 5000 + "}",
        '{"type": "status", "status": "paused", "reason": 1e999999}',
    ],
    ids=["long integer field", "long integer", "deep list", "deep object", "huge float"],
)
async def test_given_a_hostile_frame_then_an_error_frame_answers_and_the_socket_stays(
    server: Server, hostile: str
) -> None:
    ws = await server.desktop(server.tokens.issue("1001", Role.AGENT))
    await ws.send(hostile)
    error = json.loads(await asyncio.wait_for(ws.recv(), 10))
    assert error["type"] == "error"
    assert error["error_id"] in {"invalid_json", "invalid_frame"}
    assert schema_violations(error) == []
    assert (await ping(ws, "after"))["reply_to"] == "after"
    await ws.close()


@pytest.mark.parametrize("server", [MAX_FRAME_BYTES, 16 * 1024 * 1024], indirect=True, ids=["server", "app"])
async def test_given_a_frame_over_the_bound_then_the_socket_closes_1009(server: Server) -> None:
    ws = await server.desktop(server.tokens.issue("1001", Role.AGENT))
    await ws.send('{"type": "ping", "id": "' + "x" * MAX_FRAME_BYTES + '"}')
    code, _, _ = await closed_with(ws)
    assert code == 1009
