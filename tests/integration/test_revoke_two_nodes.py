"""A user disabled or changed on one app node is signed out on every node (agent_desktop.revocation).

Two centres share one database, one Redis prefix and the session's Asterisk. An agent signed in on node
B has its desktop open there; an admin disables the agent through node A. B hears it over Redis and
closes the desktop with 4401 ``user_changed``, and B's API refuses the token; B's database check is
turned off in that test, so only the message can have done it. When B hears nothing (the user is
changed in the database behind the nodes' backs, as when Redis was down), B's database check signs
the user out within seconds: disabled, a new password, another role, deleted. A user nobody touched
stays signed in on both nodes throughout. Both centres stop within their bound each time, without a
background task left running ("did not stop" is never logged).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import secrets
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

import pytest
import websockets
from sqlalchemy import delete, update

from admin import agents_store as store
from agent_desktop.auth import hash_password
from hotline.app import Centre, ensure_admin
from hotline.db.models import Agent
from hotline.sandbox.instance import AsteriskSandbox
from tests.conftest import free_port
from tests.integration.conftest import ADMIN_PASSWORD, WORKING_MORNING, sandbox_settings
from tests.integration.desktop import DesktopClient
from tests.pg import scratch_database
from tests.redis_keys import drop_prefix

pytestmark = [pytest.mark.asterisk, pytest.mark.redis, pytest.mark.timeout(180)]

STOPS_WITHIN_S = 12.0
"""A centre's stop: the HTTP server's grace and the bounded closes, well under the 10 s task bound."""

REDIS_URL = os.environ.get("HOTLINE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
NEVER_S = 3600.0
"""A database check interval no test outlives: the node then learns of revocations only by message."""


@contextmanager
def shared_database(kind: str, tmp_path: Path) -> Iterator[str]:
    """The URL of a database both nodes use: a SQLite file or a scratch PostgreSQL database."""
    if kind == "postgresql":
        with scratch_database("hotline_revoke") as url:
            yield url
    else:
        yield f"sqlite:///{tmp_path / 'shared.db'}"


@asynccontextmanager
async def two_nodes(
    sandbox: AsteriskSandbox,
    tmp_path: Path,
    database_url: str,
    caplog: pytest.LogCaptureFixture,
    *,
    b_checks_every_s: float,
) -> AsyncIterator[tuple[Centre, Centre]]:
    """Centres A (serving FastAGI) and B on one database and one Redis prefix; B checks the database
    every ``b_checks_every_s``. On the way out each centre must stop in time with every task ended."""
    prefix = f"hotline:test:{secrets.token_hex(4)}"
    centres = []
    for name, agi_port in (("a", sandbox.config.fastagi_port), ("b", free_port())):
        (tmp_path / name).mkdir()
        settings = sandbox_settings(
            sandbox,
            tmp_path / name,
            database_url=database_url,
            redis_url=REDIS_URL,
            redis_prefix=prefix,
            fastagi_port=agi_port,
        )
        centre = Centre(
            settings=settings,
            ami_secret=settings.ami_secret.get_secret_value(),
            clock=lambda: WORKING_MORNING,
        )
        ensure_admin(centre.sessions, settings)
        centres.append(centre)
    centres[1].revocation.check_every_s = b_checks_every_s
    try:
        for centre in centres:
            await centre.start()
        yield centres[0], centres[1]
    finally:
        caplog.set_level(logging.ERROR, logger="hotline.app")
        took = []
        for centre in centres:
            started = time.monotonic()
            await centre.stop()
            took.append(time.monotonic() - started)
            centre.sessions.kw["bind"].dispose()
        drop_prefix(REDIS_URL, prefix)
    assert not [r.getMessage() for r in caplog.records if "did not stop" in r.getMessage()]
    assert max(took) < STOPS_WITHIN_S, took


async def _admin(centre: Centre) -> DesktopClient:
    admin = DesktopClient(centre.url)
    await admin.sign_in("admin", ADMIN_PASSWORD)
    return admin


async def _agent_on(admin: DesktopClient, node: Centre, agent_id: str) -> DesktopClient:
    phone = f"Local/{agent_id}*60*0.5@hotline-sim-agent"  # no browser phone: disabling needs no AMI
    await admin.put_agent(
        agent_id, name="坐席", contact=phone, skills={"general": 1}, password=f"pw-{agent_id}"
    )
    desk = DesktopClient(node.url)
    await desk.sign_in(agent_id, f"pw-{agent_id}")
    return desk


async def _open(node: Centre, token: str) -> websockets.ClientConnection:
    ws = await websockets.connect(node.url.replace("http", "ws", 1) + "ws/v1")
    await ws.send(json.dumps({"v": 1, "type": "auth", "token": token}))
    await asyncio.wait_for(ws.recv(), 10)  # the desktop's first frame: signed in
    return ws


async def _closed_with(ws: websockets.ClientConnection, within_s: float = 15.0) -> tuple[int, str]:
    """Read frames until the server closes the socket; its close code and reason."""

    async def drain() -> None:
        try:
            async for _ in ws:
                pass
        except websockets.ConnectionClosed:
            return

    await asyncio.wait_for(drain(), within_s)
    assert ws.close_code is not None
    return ws.close_code, ws.close_reason or ""


async def _still_open(ws: websockets.ClientConnection) -> bool:
    try:
        await ws.ping()
    except websockets.ConnectionClosed:
        return False
    return True


async def _me(desk: DesktopClient) -> int:
    return (await desk.http.get("/api/me", headers=desk.auth)).status_code


async def test_given_an_agent_signed_in_on_b_when_disabled_through_a_then_b_closes_the_desktop_at_once(
    sandbox: AsteriskSandbox, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    database = f"sqlite:///{tmp_path / 'shared.db'}"
    async with two_nodes(sandbox, tmp_path, database, caplog, b_checks_every_s=NEVER_S) as (a, b):
        admin = await _admin(a)
        agent = await _agent_on(admin, b, "7901")
        bystander = await _agent_on(admin, b, "7902")
        ws = await _open(b, agent.token)
        other_ws = await _open(b, bystander.token)
        try:
            assert await _me(agent) == 200
            done = await admin.http.post("/api/admin/agents/7901/disable", headers=admin.auth)
            assert done.status_code == 200, done.text
            assert done.json()["sessions_ended"] == 0  # none on A: B ends its own
            assert await _closed_with(ws) == (4401, "user_changed")
            assert await _me(agent) == 401
            assert await _me(bystander) == 200
            assert await _still_open(other_ws)
            again = await agent.http.post("/api/sessions", json={"user_id": "7901", "password": "pw-7901"})
            assert again.status_code == 401
        finally:
            await ws.close()
            await other_ws.close()
            for client in (admin, agent, bystander):
                await client.close()


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
async def test_given_b_hears_nothing_when_users_change_in_the_database_then_b_signs_them_out_within_seconds(
    sandbox: AsteriskSandbox, tmp_path: Path, database: str, caplog: pytest.LogCaptureFixture
) -> None:
    with shared_database(database, tmp_path) as url:
        async with two_nodes(sandbox, tmp_path, url, caplog, b_checks_every_s=0.5) as (a, b):
            admin = await _admin(a)
            disabled = await _agent_on(admin, b, "7911")
            new_password = await _agent_on(admin, b, "7912")
            promoted = await _agent_on(admin, b, "7913")
            bystander = await _agent_on(admin, b, "7914")
            deleted = await _agent_on(admin, b, "7915")
            ws = await _open(b, disabled.token)
            try:
                await b.revocation.check_once()  # B has seen each user as they were at sign-in
                changed = (disabled, new_password, promoted, deleted)
                assert [await _me(d) for d in (*changed, bystander)] == [200] * 5
                await asyncio.to_thread(store.disable_user, a.sessions, "7911", by="admin")
                with a.sessions.begin() as s:
                    s.execute(
                        update(Agent)
                        .where(Agent.agent_id == "7912")
                        .values(password_hash=hash_password("x-1"))
                    )
                    s.execute(update(Agent).where(Agent.agent_id == "7913").values(role="supervisor"))
                    s.execute(delete(Agent).where(Agent.agent_id == "7915"))
                assert await _closed_with(ws) == (4401, "user_changed")
                for desk in changed:
                    for _ in range(50):
                        if await _me(desk) == 401:
                            break
                        await asyncio.sleep(0.2)
                    assert await _me(desk) == 401
                assert await _me(bystander) == 200
            finally:
                await ws.close()
                for client in (admin, *changed, bystander):
                    await client.close()
