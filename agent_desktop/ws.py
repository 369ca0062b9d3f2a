"""Desktop websocket endpoint ``/ws/v1`` (protocol in agent_desktop/PROTOCOL.md).

The token never travels in the URL: the socket is accepted, and its first frame must be ``auth`` with
a valid token within ``AUTH_TIMEOUT_S``, else it closes with 4401. A session's socket closes (4401,
the reason saying why) when its token is revoked (sign-out), its user is changed (role, password) or
the token expires. A frame over ``MAX_FRAME_BYTES`` closes it with 1009; any other bad frame is
answered with an ``error`` frame and the socket stays open.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from acd.errors import AcdError
from agent_desktop.auth import Principal, Role
from agent_desktop.context import DesktopContext
from agent_desktop.errors import DesktopError
from agent_desktop.hub import Connection
from agent_desktop.protocol import (
    AUTH_TIMEOUT_S,
    CLOSE_TOO_BIG,
    CLOSE_UNAUTHENTICATED,
    MAX_FRAME_BYTES,
    AuthFrame,
    ClientFrame,
    PingFrame,
    ProtocolError,
    SyncFrame,
    error_frame,
    frame_size,
    parse_client_frame,
    server_frame,
)

log = logging.getLogger(__name__)
router = APIRouter()

SESSION_EXPIRED = "session_expired"


class _TooBig(Exception):
    """A frame over the size bound."""


@dataclass(frozen=True, slots=True)
class _Session:
    token: str
    principal: Principal


@router.websocket("/ws/v1")
async def desktop_socket(websocket: WebSocket) -> None:
    """Authenticate with the first frame, say hello with a snapshot, then serve frames both ways."""
    ctx: DesktopContext = websocket.app.state.desktop
    await websocket.accept()
    session = await _authenticate(websocket, ctx)
    if session is None:
        return
    conn = Connection(session.principal, websocket.send_text, token=session.token)
    ctx.hub.add(conn)
    writer = asyncio.create_task(conn.run_writer())
    try:
        await conn.send(_hello(ctx, session.principal))
        await _run(websocket, conn, ctx, writer)
    finally:
        ctx.hub.remove(conn)
        writer.cancel()
        await asyncio.gather(writer, return_exceptions=True)


async def _authenticate(websocket: WebSocket, ctx: DesktopContext) -> _Session | None:
    """The session named by the first frame, or None after closing the socket."""
    if "token" in websocket.query_params:
        await _close(websocket, CLOSE_UNAUTHENTICATED, "token_in_url")
        return None
    try:
        raw = await asyncio.wait_for(_receive(websocket), AUTH_TIMEOUT_S)
    except TimeoutError:
        await _close(websocket, CLOSE_UNAUTHENTICATED, "auth_timeout")
        return None
    except WebSocketDisconnect:
        return None
    except _TooBig:
        await _close(websocket, CLOSE_TOO_BIG, "frame_too_large")
        return None
    try:
        frame = parse_client_frame(raw)
    except ProtocolError:
        frame = None
    token = frame.token if isinstance(frame, AuthFrame) else ""
    principal = ctx.tokens.resolve(token) if token else None
    if principal is None or principal.role is Role.DEPARTMENT:
        await _close(websocket, CLOSE_UNAUTHENTICATED, "unauthenticated")
        return None
    return _Session(token, principal)


async def _run(
    websocket: WebSocket, conn: Connection, ctx: DesktopContext, writer: asyncio.Task[None]
) -> None:
    """Serve until the peer leaves, a frame is too big, or the session ends (then close the socket)."""
    reader = asyncio.create_task(_serve(websocket, conn, ctx))
    expiry = asyncio.create_task(_expire(conn))
    ended = asyncio.create_task(conn.ended.wait())
    await asyncio.wait({reader, ended}, return_when=asyncio.FIRST_COMPLETED)
    for task in (reader, expiry, ended):
        task.cancel()
    outcome = (await asyncio.gather(reader, expiry, ended, return_exceptions=True))[0]
    if conn.ended.is_set():
        writer.cancel()
        await _close(websocket, CLOSE_UNAUTHENTICATED, conn.end_reason)
    elif isinstance(outcome, _TooBig):
        writer.cancel()
        await _close(websocket, CLOSE_TOO_BIG, "frame_too_large")
    elif isinstance(outcome, Exception) and not isinstance(outcome, WebSocketDisconnect):
        raise outcome


async def _expire(conn: Connection) -> None:
    await asyncio.sleep(max(conn.principal.expires_at - time.time(), 0.0))
    conn.end(SESSION_EXPIRED)


async def _close(websocket: WebSocket, code: int, reason: str) -> None:
    with contextlib.suppress(RuntimeError, WebSocketDisconnect, OSError):
        await websocket.close(code=code, reason=reason)


async def _receive(websocket: WebSocket) -> str | bytes:
    """The next frame's payload; WebSocketDisconnect when the peer left, _TooBig over the bound."""
    message = await websocket.receive()
    if message["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(message.get("code", 1000))
    raw: str | bytes | None = message.get("text")
    if raw is None:
        raw = message.get("bytes") or b""
    if frame_size(raw) > MAX_FRAME_BYTES:
        raise _TooBig
    return raw


def _hello(ctx: DesktopContext, principal: Principal) -> dict[str, object]:
    return server_frame(
        "hello",
        user_id=principal.user_id,
        role=str(principal.role),
        agent=ctx.desktop.agent_view(
            principal.user_id, full_numbers=principal.may(Role.SUPERVISOR, Role.ADMIN)
        ),
        queues=sorted(ctx.acd.engine.queues),
    )


async def _serve(websocket: WebSocket, conn: Connection, ctx: DesktopContext) -> None:
    while True:
        raw = await _receive(websocket)
        try:
            frame = parse_client_frame(raw)
        except ProtocolError as exc:
            await conn.send(error_frame(exc.error_id, str(exc), exc.details))
            continue
        await _dispatch(frame, conn, ctx)


async def _dispatch(frame: ClientFrame, conn: Connection, ctx: DesktopContext) -> None:
    me = conn.principal.user_id
    if isinstance(frame, PingFrame):
        await conn.send(server_frame("pong", reply_to=frame.id))
    elif isinstance(frame, SyncFrame):
        await conn.send(_hello(ctx, conn.principal))
    elif isinstance(frame, AuthFrame):
        message = "this connection is already signed in"
        await conn.send(error_frame("already_authenticated", message, reply_to=frame.id))
    else:
        try:
            view = await ctx.desktop.change_status(me, frame.status, reason=frame.reason)
        except (AcdError, DesktopError) as exc:
            await conn.send(error_frame(exc.error_id, str(exc), dict(exc.details), reply_to=frame.id))
            return
        await conn.send(server_frame("status_ok", reply_to=frame.id, agent=view))
