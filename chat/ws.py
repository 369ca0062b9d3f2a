"""The citizen's chat socket ``/ws/chat`` (frames in chat.protocol).

The token travels in the first frame, never in the URL; an unknown or expired token closes the socket
with 4401. While the chat waits the page is told its place in line and estimated wait every
``POSITION_EVERY_S`` (when it changed). A bad frame is answered with an ``error`` frame and the
socket stays open.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from chat import protocol
from chat.errors import ChatError
from chat.protocol import AuthIn, DeliveredIn, EndIn, MessageIn, PingIn, TypingIn
from chat.service import ChatService
from chat.store import SessionRow

router = APIRouter()
AUTH_TIMEOUT_S = 10.0
POSITION_EVERY_S = 2.0
CLOSE_UNAUTHENTICATED = 4401
CLOSE_TOO_BIG = 1009


class _TooBig(Exception):
    """A frame over the bound."""


async def _receive(websocket: WebSocket) -> str | bytes:
    message = await websocket.receive()
    if message["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(message.get("code", 1000))
    raw: str | bytes = message.get("text") or message.get("bytes") or b""
    size = len(raw) if isinstance(raw, bytes) else len(raw.encode("utf-8", "surrogatepass"))
    if size > protocol.MAX_FRAME_BYTES:
        raise _TooBig
    return raw


async def _close(websocket: WebSocket, code: int, reason: str) -> None:
    with contextlib.suppress(RuntimeError, WebSocketDisconnect, OSError):
        await websocket.close(code=code, reason=reason)


@router.websocket("/ws/chat")
async def citizen_socket(websocket: WebSocket) -> None:
    """Authenticate with the first frame, send the history, then serve frames both ways."""
    service: ChatService = websocket.app.state.chat
    await websocket.accept()
    row = await _authenticate(websocket, service)
    if row is None:
        return
    lock = asyncio.Lock()

    async def send(frame: dict[str, Any]) -> None:
        async with lock:
            await websocket.send_json(frame)

    service.attach(row.session_id, send)
    position: asyncio.Task[None] | None = None
    try:
        await send({"type": "hello", **(await service.chat_view(row.session_id))})
        position = asyncio.create_task(_tell_position(service, row.session_id, send))
        await _serve(websocket, service, row, send)
    except _TooBig:
        await _close(websocket, CLOSE_TOO_BIG, "frame_too_large")
    except WebSocketDisconnect:
        pass
    finally:
        if position is not None:
            position.cancel()
        service.detach(row.session_id, send)


async def _authenticate(websocket: WebSocket, service: ChatService) -> SessionRow | None:
    try:
        raw = await asyncio.wait_for(_receive(websocket), AUTH_TIMEOUT_S)
        frame = protocol.parse(raw)
    except (TimeoutError, ChatError, _TooBig):
        frame = None
    except WebSocketDisconnect:
        return None
    row = await service.by_token(frame.token) if isinstance(frame, AuthIn) else None
    if row is None:
        await _close(websocket, CLOSE_UNAUTHENTICATED, "unauthenticated")
    return row


async def _tell_position(service: ChatService, session_id: str, send: Any) -> None:
    last: tuple[int, int] | None = None
    while True:
        found = service.position(session_id)
        if found is not None:
            shown = (found[0], round(found[1]))
            if shown != last:
                last = shown
                with contextlib.suppress(Exception):
                    await send({"type": "queue", "position": shown[0], "ewt_s": shown[1]})
        await asyncio.sleep(POSITION_EVERY_S)


async def _serve(websocket: WebSocket, service: ChatService, row: SessionRow, send: Any) -> None:
    while True:
        raw = await _receive(websocket)
        try:
            frame = protocol.parse(raw)
            await _dispatch(frame, service, row, send)
        except ChatError as exc:
            await send(protocol.error(exc.error_id, str(exc), exc.details))


async def _dispatch(frame: protocol.CitizenFrame, service: ChatService, row: SessionRow, send: Any) -> None:
    sid = row.session_id
    if isinstance(frame, MessageIn):
        current = await service.session(sid)
        message = await service.citizen_message(current, frame.body, frame.client_id)
        await send({"type": "sent", "client_id": frame.client_id, "message": message.public()})
    elif isinstance(frame, TypingIn):
        await service.typing(sid, who="citizen", typing=frame.typing)
    elif isinstance(frame, DeliveredIn):
        await service.delivered(sid, reader="citizen", up_to=frame.up_to)
    elif isinstance(frame, EndIn):
        await service.end(sid, by="citizen")
    elif isinstance(frame, PingIn):
        await send({"type": "pong"})
    else:
        raise ChatError("already_authenticated", "this connection is already signed in", status_code=400)
