"""Chat routes: the citizen's start (public, rate-limited per client address) and page, and the agent's
chat actions (signed-in desktop users, on their own chats only).

- ``POST /api/chat/sessions`` (public): a chat waiting in the ACD and its short-lived token; 10 free an
  hour per address, then a lockout doubling from a minute (429 with ``Retry-After``).
- ``GET /citizen/chat``: the citizen's chat page (also embedded in ``/citizen/sign``).
- ``GET /api/chat/mine``: the agent's chats with their history and open offers (a reloaded desktop
  resumes from it); ``POST /api/chat/sessions/{id}/accept|decline|messages|typing|delivered|end|work-order``.
- ``GET /api/chat/figures`` (supervisors, admins): chats waiting and in progress per queue.
"""

from __future__ import annotations

import asyncio
import math
from pathlib import Path as FilePath
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import FileResponse

from agent_desktop.api import Me
from agent_desktop.auth import Role
from agent_desktop.errors import DesktopError
from agent_desktop.login_throttle import MemoryThrottleStore, ThrottleRule, ThrottleStore
from chat import store
from chat.errors import ChatError
from chat.figures import chat_figures
from chat.orders import order_from_chat
from chat.schemas import (
    ChatOrderCreate,
    ChatOrderCreated,
    ChatStart,
    ChatStarted,
    Delivered,
    MessageSend,
    TypingSend,
)
from chat.service import ChatService
from privacy.reads import client_of
from tickets.api import ticket_service
from tickets.errors import TicketError

router = APIRouter(prefix="/api/chat", tags=["chat"])
pages = APIRouter(include_in_schema=False)
PAGE = FilePath(__file__).resolve().parent.parent / "agent_desktop" / "static" / "citizen_chat.html"
START_RULE = ThrottleRule(free=10, base_s=60.0, cap_s=3600.0)
SessionId = Annotated[str, Path(pattern=r"^chat-[0-9a-f]{24}$")]


def chat_service(request: Request) -> ChatService:
    """``app.state.chat``; 503 when the centre runs without the chat layer."""
    found: ChatService | None = getattr(request.app.state, "chat", None)
    if found is None:
        raise DesktopError("chat_unavailable", "text chat is not running", status_code=503)
    return found


Chats = Annotated[ChatService, Depends(chat_service)]


def _throttle_store(request: Request) -> ThrottleStore:
    found: ThrottleStore | None = getattr(request.app.state, "chat_throttle_store", None)
    if found is None:
        found = getattr(request.app.state, "public_throttle_store", None) or MemoryThrottleStore()
        request.app.state.chat_throttle_store = found
    return found


def _as_http(exc: ChatError | TicketError) -> DesktopError:
    return DesktopError(exc.error_id, str(exc), status_code=exc.status_code, details=dict(exc.details))


@router.post("/sessions", status_code=201, response_model=ChatStarted)
async def start_chat(request: Request, body: ChatStart, chats: Chats) -> ChatStarted:
    """Start a chat (no account): it waits in ``queue`` (``sign_language``: the accessibility queue)."""
    wait = await _throttle_store(request).attempt(
        ((f"chat-start:{client_of(request)}", START_RULE),), now=chats.clock()
    )
    if wait > 0:
        seconds = max(1, math.ceil(wait))
        raise DesktopError(
            "too_many_requests",
            "too many chats from this address; try again later",
            status_code=429,
            details={"retry_after_s": seconds},
            headers={"Retry-After": str(seconds)},
        )
    row, token = await _call(chats.start(queue=body.queue, phone=body.phone))
    return ChatStarted(session_id=row.session_id, token=token, queue=row.queue, expires_at=row.expires_at)


@router.get("/mine")
async def my_chats(me: Me, chats: Chats) -> dict[str, Any]:
    """The signed-in agent's chats with their whole history, and the chats offered to them."""
    return await chats.agent_chats(me.user_id)


@router.get("/figures")
async def figures(me: Me, chats: Chats) -> dict[str, Any]:
    """Chats per queue now (waiting, in progress) and today's chats (supervisors and admins)."""
    if not me.may(Role.SUPERVISOR, Role.ADMIN):
        raise DesktopError("forbidden", "supervisors and admins only", status_code=403)
    return await asyncio.to_thread(chat_figures, chats.sessions, chats.acd.engine, chats.clock())


async def _call(coro: Any) -> Any:
    try:
        return await coro
    except ChatError as exc:
        raise _as_http(exc) from exc


@router.post("/sessions/{session_id}/accept")
async def accept(session_id: SessionId, me: Me, chats: Chats) -> dict[str, Any]:
    """Take the chat offered to you; the chat with its history."""
    result: dict[str, Any] = await _call(chats.accept(me.user_id, session_id))
    return result


@router.post("/sessions/{session_id}/decline", status_code=204)
async def decline(session_id: SessionId, me: Me, chats: Chats) -> None:
    """Turn the offer down."""
    await _call(chats.decline(me.user_id, session_id))


@router.post("/sessions/{session_id}/messages", status_code=201)
async def send_message(session_id: SessionId, body: MessageSend, me: Me, chats: Chats) -> dict[str, object]:
    """Send a message to the citizen (stored first; the same ``client_id`` again is stored once)."""
    message: store.MessageRow = await _call(
        chats.agent_message(me.user_id, session_id, body.body, body.client_id)
    )
    return message.public()


@router.post("/sessions/{session_id}/typing", status_code=204)
async def typing(session_id: SessionId, body: TypingSend, me: Me, chats: Chats) -> None:
    """Tell the citizen you are typing (or stopped)."""
    await _call(chats.agent_row(me.user_id, session_id))
    await chats.typing(session_id, who="agent", typing=body.typing)


@router.post("/sessions/{session_id}/delivered", status_code=204)
async def delivered(session_id: SessionId, body: Delivered, me: Me, chats: Chats) -> None:
    """Your page showed the citizen's messages up to ``up_to``."""
    await _call(chats.agent_row(me.user_id, session_id))
    await chats.delivered(session_id, reader="agent", up_to=body.up_to)


@router.post("/sessions/{session_id}/end", status_code=204)
async def end(session_id: SessionId, me: Me, chats: Chats) -> None:
    """End the chat."""
    await _call(chats.agent_row(me.user_id, session_id))
    await chats.end(session_id, by="agent")


@router.post("/sessions/{session_id}/work-order", status_code=201, response_model=ChatOrderCreated)
async def work_order(
    request: Request, session_id: SessionId, body: ChatOrderCreate, me: Me, chats: Chats
) -> ChatOrderCreated:
    """A work order from the chat, its transcript attached; the chat records the order's number."""
    row = await _call(chats.agent_row(me.user_id, session_id))
    if row.order_number:
        raise DesktopError(
            "chat_has_order",
            f"chat already became order {row.order_number}",
            status_code=409,
            details={"number": row.order_number},
        )
    messages = await asyncio.to_thread(store.messages, chats.sessions, session_id=session_id)
    order = order_from_chat(
        row,
        messages,
        category=body.category,
        matter=body.matter,
        content=body.content,
        address=body.address,
        name=body.name,
    )
    service = ticket_service(request)
    try:
        created = await asyncio.to_thread(service.create, order, created_by=me.user_id)
    except TicketError as exc:
        raise _as_http(exc) from exc
    await asyncio.to_thread(store.attach_order, chats.sessions, session_id=session_id, number=created.number)
    return ChatOrderCreated(number=created.number, session_id=session_id)


@pages.get("/citizen/chat")
async def citizen_chat_page() -> FileResponse:
    """The citizen's chat page (no account, phone-sized)."""
    return FileResponse(PAGE)
