"""Desktop websocket endpoint ``/ws/v1?token=...`` (protocol in agent_desktop/PROTOCOL.md)."""

from __future__ import annotations

import asyncio
import logging

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from acd.errors import AcdError
from agent_desktop.auth import Principal, Role
from agent_desktop.context import DesktopContext
from agent_desktop.errors import DesktopError
from agent_desktop.hub import Connection
from agent_desktop.protocol import (
    PingFrame,
    ProtocolError,
    StatusFrame,
    SyncFrame,
    error_frame,
    parse_client_frame,
    server_frame,
)

log = logging.getLogger(__name__)
router = APIRouter()

CLOSE_UNAUTHENTICATED = 4401


@router.websocket("/ws/v1")
async def desktop_socket(websocket: WebSocket, token: str = "") -> None:
    """Authenticate, say hello with a snapshot, then serve frames both ways."""
    ctx: DesktopContext = websocket.app.state.desktop
    principal = ctx.tokens.resolve(token) if token else None
    if principal is None:
        await websocket.close(code=CLOSE_UNAUTHENTICATED, reason="unauthenticated")
        return
    await websocket.accept()
    conn = Connection(principal, websocket.send_text)
    ctx.hub.add(conn)
    writer = asyncio.create_task(conn.run_writer())
    try:
        await conn.send(_hello(ctx, principal))
        await _serve(websocket, conn, ctx)
    except WebSocketDisconnect:
        pass
    finally:
        ctx.hub.remove(conn)
        writer.cancel()
        await asyncio.gather(writer, return_exceptions=True)


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
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            raise WebSocketDisconnect(message.get("code", 1000))
        raw = message.get("text")
        if raw is None:
            raw = message.get("bytes") or b""
        try:
            frame = parse_client_frame(raw)
        except ProtocolError as exc:
            await conn.send(error_frame(exc.error_id, str(exc), exc.details))
            continue
        await _dispatch(frame, conn, ctx)


async def _dispatch(
    frame: PingFrame | StatusFrame | SyncFrame, conn: Connection, ctx: DesktopContext
) -> None:
    me = conn.principal.user_id
    if isinstance(frame, PingFrame):
        await conn.send(server_frame("pong", reply_to=frame.id))
    elif isinstance(frame, SyncFrame):
        await conn.send(_hello(ctx, conn.principal))
    else:
        try:
            view = await ctx.desktop.change_status(me, frame.status, reason=frame.reason)
        except (AcdError, DesktopError) as exc:
            await conn.send(error_frame(exc.error_id, str(exc), dict(exc.details), reply_to=frame.id))
            return
        await conn.send(server_frame("status_ok", reply_to=frame.id, agent=view))
