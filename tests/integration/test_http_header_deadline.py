"""The centre's deadline for a request's line and headers (hotline/http_deadline.py), through real sockets.

The centre is hotline/app.py's (uvicorn as it configures it) with ``HOTLINE_HTTP_HEADER_TIMEOUT_S`` set
to ``DEADLINE_S``. Two hundred peers that connect and send nothing or half a request (slowloris) must all
be closed at the deadline (a ``408`` for those that sent something), while an agent's desktop websocket
opened before them, idle for longer than the deadline, keeps answering and API calls keep being served. A
request body sent slowly over more than the deadline is not cut, and a kept-alive connection whose next
request stops half-way is closed at the deadline.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from dataclasses import dataclass

import httpx
import pytest

from agent_desktop.auth import hash_password
from hotline.db import repository as repo
from tests.integration.desktop import DesktopClient, frame_of
from tests.integration.garbage_rig import Rig, rig

__all__ = ["rig"]
pytestmark = pytest.mark.timeout(120)

DEADLINE_S = 2.0
"""The request-head deadline the centre under test runs with."""
LATE_S = 3.0
"""How long after the deadline a held connection may still be open (a loaded machine's slack)."""
EARLY_S = 0.2
"""How much before the deadline a held connection may be closed (timer and clock granularity)."""
HALF_OPEN = 200
HALF_REQUESTS = (
    b"GET /healthz HTTP/1.1\r\nHost: x\r\n",
    b"POST /api/sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n",
    b"GET /ws/v1 HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n",
    b"G",
)
AGENT = "1001"
AGENT_PASSWORD = "agent-password-1001"


@pytest.fixture(autouse=True)
def short_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    """The centre reads its deadline from the environment (autouse: set before ``rig`` builds it)."""
    monkeypatch.setenv("HOTLINE_HTTP_HEADER_TIMEOUT_S", str(DEADLINE_S))


@dataclass
class Held:
    """One peer that connected, maybe sent part of a request, and waits."""

    sent: bytes
    opened_at: float
    """Taken before connecting, so no later than the server's start of the deadline."""
    closed_after: float | None = None
    answer: bytes = b""


async def _hold(port: int, sent: bytes) -> Held:
    """Connect, send ``sent`` and read until the server closes (giving up after the deadline and slack)."""
    held = Held(sent, time.monotonic())
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        if sent:
            writer.write(sent)
            await writer.drain()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(DEADLINE_S + LATE_S):
                held.answer = await reader.read()
                held.closed_after = time.monotonic() - held.opened_at
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()
    return held


async def _signed_in_agent(rig: Rig) -> DesktopClient:
    repo.upsert_agent(
        rig.centre.sessions,
        agent_id=AGENT,
        name="测试坐席",
        contact=f"PJSIP/{AGENT}",
        skills={"general": 5},
        role="agent",
        password_hash=hash_password(AGENT_PASSWORD),
    )
    desk = DesktopClient(rig.centre.url)
    await desk.sign_in(AGENT, AGENT_PASSWORD)
    await desk.connect()
    await desk.wait_frame(frame_of("hello"))
    return desk


async def _api_works(rig: Rig) -> None:
    async with httpx.AsyncClient(base_url=rig.centre.url, timeout=5) as client:
        assert (await client.get("healthz")).status_code == 200
        signed_in = await client.post("api/sessions", json={"user_id": AGENT, "password": AGENT_PASSWORD})
        assert signed_in.status_code == 200, signed_in.text


async def _pong(desk: DesktopClient, frame_id: str) -> None:
    await desk.send({"v": 1, "type": "ping", "id": frame_id})
    await desk.wait_frame(frame_of("pong", reply_to=frame_id), timeout=5)


async def test_half_open_connections_are_closed_at_the_deadline_while_desktop_and_api_work(rig: Rig) -> None:
    assert rig.centre.settings.http_header_timeout_s == DEADLINE_S
    port = rig.centre.settings.http_port
    desk = await _signed_in_agent(rig)
    try:
        socket_opened = time.monotonic()
        sent = [b"" if i % 2 == 0 else HALF_REQUESTS[i // 2 % len(HALF_REQUESTS)] for i in range(HALF_OPEN)]
        holding = asyncio.gather(*(_hold(port, raw) for raw in sent))
        await asyncio.sleep(DEADLINE_S / 2)
        await _api_works(rig)
        await _pong(desk, "while-held")
        held = await holding
        assert time.monotonic() - socket_opened > DEADLINE_S
        await _pong(desk, "after-deadline")
        await _api_works(rig)
    finally:
        await desk.close()

    never_closed = [h.sent for h in held if h.closed_after is None]
    assert not never_closed, f"{len(never_closed)} of {HALF_OPEN} still open after {DEADLINE_S + LATE_S:g}s"
    early = [
        (h.sent, round(h.closed_after or 0, 2)) for h in held if (h.closed_after or 0) < DEADLINE_S - EARLY_S
    ]
    assert not early, f"closed before the {DEADLINE_S:g}s deadline: {early[:5]}"
    answers = {(h.sent, h.answer.split(b"\r\n", 1)[0]) for h in held}
    assert answers == {(b"", b""), *((raw, b"HTTP/1.1 408 Request Timeout") for raw in HALF_REQUESTS)}
    print(
        json.dumps(
            {
                "half_open": HALF_OPEN,
                "deadline_s": DEADLINE_S,
                "closed_after_s": {
                    "min": round(min(h.closed_after or 0 for h in held), 3),
                    "max": round(max(h.closed_after or 0 for h in held), 3),
                },
            }
        )
    )


async def _read_response(reader: asyncio.StreamReader) -> tuple[bytes, bytes]:
    """One response with a ``content-length``: its status line and body."""
    head = await reader.readuntil(b"\r\n\r\n")
    status, *lines = head.decode("latin-1").split("\r\n")
    length = next(
        int(v) for k, _, v in (line.partition(":") for line in lines) if k.lower() == "content-length"
    )
    return status.encode("latin-1"), await reader.readexactly(length)


async def test_a_slow_body_is_not_cut_and_a_late_next_request_is(rig: Rig) -> None:
    password = rig.centre.settings.admin_password.get_secret_value()
    body = json.dumps({"user_id": "admin", "password": password}).encode()
    reader, writer = await asyncio.open_connection("127.0.0.1", rig.centre.settings.http_port)
    try:
        writer.write(
            b"POST /api/sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n" % len(body)
        )
        started = time.monotonic()
        pieces = [body[i : i + 8] for i in range(0, len(body), 8)]
        for piece in pieces:
            writer.write(piece)
            await writer.drain()
            await asyncio.sleep(2 * DEADLINE_S / len(pieces))
        assert time.monotonic() - started > DEADLINE_S
        async with asyncio.timeout(5):
            status, answer = await _read_response(reader)
        assert status == b"HTTP/1.1 200 OK", (status, answer)
        assert json.loads(answer)["token"]

        writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        await writer.drain()
        sent_at = time.monotonic()
        async with asyncio.timeout(DEADLINE_S + LATE_S):
            late = await reader.read()
        assert time.monotonic() - sent_at > DEADLINE_S - EARLY_S
        assert late.startswith(b"HTTP/1.1 408 "), late[:200]
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()
