"""The 110 interface, version 1, under ``/api/linkage/110/v1`` (国办发〔2022〕12号).

- ``POST /orders/{number}/handoff`` (agents, supervisors, admins; the order must be theirs to see):
  hand a police matter off to 110. 201 with the delivery's state when stored, 200 with the live one
  when the order was already handed off. The sender delivers it (``linkage110.sender``).
- ``GET /orders/{number}/handoffs``: the order's hand-offs, with 110's reference once acknowledged.
- ``POST /transfers`` (the 110 platform, HMAC-signed, no user): a non-police matter becomes an order with
  channel ``110``; 201 with the acknowledgement, 200 with the same acknowledgement for a repeat.
  The signature is checked before the body is parsed: a bad one is a 401 and stores nothing.
- ``GET /schema``: the JSON Schema of every body.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from pydantic import ValidationError

from agent_desktop.api import Me, _context, _principal
from agent_desktop.auth import Role
from agent_desktop.context import DesktopContext
from agent_desktop.errors import DesktopError
from hotline.body_limit import body_limit
from linkage110.schemas import HandoffRequest, HandoffState, TransferAck, TransferIn, schemas
from linkage110.sender import HandoffSender
from linkage110.service import Linkage110
from linkage110.settings import Linkage110Settings
from linkage110.signing import SignatureError, verify
from linkage110.transfers import TransferInProgress
from tickets.api import NumberPath, Tickets, _reachable, _run
from tickets.service import TicketService

__all__ = ["PREFIX", "linkage", "router", "start_sender"]

PREFIX = "/api/linkage/110/v1"
TRANSFER_LIMIT = 64 * 1024
CENTRE = (Role.AGENT, Role.SUPERVISOR, Role.ADMIN)


def _build(app: FastAPI, ctx: DesktopContext) -> Linkage110:
    tickets: TicketService | None = getattr(app.state, "tickets", None)
    if tickets is None:
        tickets = TicketService(sessions=ctx.sessions)
        app.state.tickets = tickets
    service = Linkage110(tickets=tickets, settings=Linkage110Settings())
    app.state.linkage110 = service
    return service


def start_sender(app: FastAPI) -> asyncio.Task[None] | None:
    """Start the hand-off sender of ``app`` when a 110 platform and a secret are configured; its task.

    The centre (``hotline.app``) calls this at start (it serves without a lifespan); other servers of the
    app get it from the router's lifespan.
    """
    ctx: DesktopContext | None = getattr(app.state, "desktop", None)
    service: Linkage110 | None = getattr(app.state, "linkage110", None)
    if service is None and ctx is not None:
        service = _build(app, ctx)
    if service is None or not (service.settings.url and service.settings.secret):
        return None
    if getattr(app.state, "linkage110_sender", None) is not None:
        return None
    s = service.settings
    sender = HandoffSender.to_url(
        service.tickets.sessions,
        url=s.url,
        secret=s.secret,
        timeout_s=s.timeout_s,
        backoff_base_s=s.backoff_base_s,
        backoff_max_s=s.backoff_max_s,
        poll_s=s.poll_s,
    )
    service.on_handoff = sender.kick
    app.state.linkage110_sender = sender
    return asyncio.create_task(sender.run(), name="linkage110-sender")


@asynccontextmanager
async def _sender_lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Runs the hand-off sender while the app serves (when the server runs lifespans)."""
    task = start_sender(app)
    try:
        yield
    finally:
        if task is not None:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task
            app.state.linkage110_sender = None


router = APIRouter(prefix=PREFIX, tags=["linkage-110"], lifespan=_sender_lifespan)


def linkage(request: Request) -> Linkage110:
    """``app.state.linkage110``; made on the desktop's sessions when unset."""
    service: Linkage110 | None = getattr(request.app.state, "linkage110", None)
    return service if service is not None else _build(request.app, _context(request))


Linkage = Annotated[Linkage110, Depends(linkage)]


async def _centre_order(request: Request, me: Me, tickets: Tickets, number: str) -> None:
    if not me.may(*CENTRE):
        raise DesktopError("forbidden", "your role may not do this", status_code=403)
    await _reachable(request, me, tickets, number)


@router.get("/schema")
async def body_schemas() -> dict[str, Any]:
    """The JSON Schema of the hand-off, the transfer and their acknowledgements."""
    return schemas()


@router.post(
    "/orders/{number}/handoff",
    response_model=HandoffState,
    status_code=201,
    dependencies=[Depends(_principal)],
)
async def hand_off(
    request: Request,
    response: Response,
    number: NumberPath,
    body: HandoffRequest,
    me: Me,
    tickets: Tickets,
    service: Linkage,
) -> HandoffState:
    """Hand order ``number`` off to 110 (a police matter); delivered in the background until acknowledged."""
    await _centre_order(request, me, tickets, number)
    state, new = await _run(service.hand_off, number, actor=me.user_id, reason=body.reason)
    if not new:
        response.status_code = 200
    return state


@router.get(
    "/orders/{number}/handoffs", response_model=list[HandoffState], dependencies=[Depends(_principal)]
)
async def handoffs(
    request: Request, number: NumberPath, me: Me, tickets: Tickets, service: Linkage
) -> list[HandoffState]:
    """The hand-offs of order ``number`` and where their delivery stands."""
    await _centre_order(request, me, tickets, number)
    return await _run(service.handoffs, number)


def _checked(service: Linkage110, request: Request, raw: bytes) -> TransferIn:
    secret = service.settings.secret
    if not secret:
        raise DesktopError(
            "linkage_not_configured",
            "the 110 linkage has no shared secret: no request is signed",
            status_code=401,
        )
    try:
        verify(secret, dict(request.headers), raw, now=time.time(), skew_s=service.settings.skew_s)
    except SignatureError as exc:
        raise DesktopError(
            "bad_signature", str(exc), status_code=401, details={"reason": exc.reason}
        ) from exc
    try:
        return TransferIn.model_validate_json(raw)
    except ValidationError as exc:
        errors = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", "")} for e in exc.errors()]
        raise DesktopError(
            "invalid_request",
            "the body does not match the transfer schema",
            status_code=422,
            details={"errors": errors},
        ) from exc


@router.post("/transfers", response_model=TransferAck, status_code=201)
@body_limit(TRANSFER_LIMIT)
async def receive_transfer(request: Request, response: Response, service: Linkage) -> TransferAck:
    """A non-police matter from 110 becomes an order with channel ``110`` (once per idempotency key)."""
    transfer = _checked(service, request, await request.body())
    try:
        ack, new = await _run(service.receive, transfer)
    except TransferInProgress as exc:
        raise DesktopError(
            "transfer_in_progress",
            "this transfer is being applied; send it again shortly",
            status_code=409,
            details={"idempotency_key": str(exc)},
            headers={"Retry-After": "2"},
        ) from exc
    if not new:
        response.status_code = 200
    return ack
